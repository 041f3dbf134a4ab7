/*
 * dtype.c - the safetensors dtypes and their sizes in bits (safetensors
 * Dtype::bitsize(); F4 packs two values a byte, F6 four values in three bytes).
 */
#include <string.h>

#include "formats/formats.h"

static const struct {
	const char *name;
	unsigned bits;
	bool is_float;
} dtypes[VF_DT_COUNT] = {
    [VF_DT_UNKNOWN] = {"?", 0, false},
    [VF_DT_BOOL] = {"BOOL", 8, false},
    [VF_DT_U8] = {"U8", 8, false},
    [VF_DT_I8] = {"I8", 8, false},
    [VF_DT_F8_E5M2] = {"F8_E5M2", 8, true},
    [VF_DT_F8_E4M3] = {"F8_E4M3", 8, true},
    [VF_DT_F8_E8M0] = {"F8_E8M0", 8, true},
    [VF_DT_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 8, true},
    [VF_DT_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 8, true},
    [VF_DT_F4] = {"F4", 4, true},
    [VF_DT_F6_E2M3] = {"F6_E2M3", 6, true},
    [VF_DT_F6_E3M2] = {"F6_E3M2", 6, true},
    [VF_DT_I16] = {"I16", 16, false},
    [VF_DT_U16] = {"U16", 16, false},
    [VF_DT_F16] = {"F16", 16, true},
    [VF_DT_BF16] = {"BF16", 16, true},
    [VF_DT_I32] = {"I32", 32, false},
    [VF_DT_U32] = {"U32", 32, false},
    [VF_DT_F32] = {"F32", 32, true},
    [VF_DT_F64] = {"F64", 64, true},
    [VF_DT_I64] = {"I64", 64, false},
    [VF_DT_U64] = {"U64", 64, false},
    [VF_DT_C64] = {"C64", 64, true},
};

const char *vf_dtype_name(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT ? dtypes[dt].name : "?";
}

enum vf_dtype vf_dtype_from_name(const char *name)
{
	for (unsigned i = 1; i < VF_DT_COUNT; i++)
		if (strcmp(dtypes[i].name, name) == 0)
			return (enum vf_dtype)i;
	return VF_DT_UNKNOWN;
}

unsigned vf_dtype_bits(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT ? dtypes[dt].bits : 0;
}

bool vf_dtype_is_float(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT && dtypes[dt].is_float;
}
