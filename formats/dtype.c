/*
 * dtype.c - every tensor element type vramfit knows, with its storage size.
 *
 * Plain types are blocks of one element.  safetensors' sub-byte floats pack
 * several elements in a block (F4: 2 in a byte; F6: 4 in 3 bytes), and ggml's
 * quantized types store blocks of 32 or 256 elements with their scales
 * (ggml.h, ggml-common.h; formats.md in shared/reference lists them).
 */
#include <string.h>

#include "common/mem.h"
#include "formats/formats.h"

static const struct {
	const char *name;
	unsigned block_elems, block_bytes;
	bool is_float, safetensors;
} dtypes[VF_DT_COUNT] = {
    [VF_DT_UNKNOWN] = {"?", 0, 0, false, false},
    [VF_DT_BOOL] = {"BOOL", 1, 1, false, true},
    [VF_DT_U8] = {"U8", 1, 1, false, true},
    [VF_DT_I8] = {"I8", 1, 1, false, true},
    [VF_DT_F8_E5M2] = {"F8_E5M2", 1, 1, true, true},
    [VF_DT_F8_E4M3] = {"F8_E4M3", 1, 1, true, true},
    [VF_DT_F8_E8M0] = {"F8_E8M0", 1, 1, true, true},
    [VF_DT_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 1, 1, true, true},
    [VF_DT_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 1, 1, true, true},
    [VF_DT_F4] = {"F4", 2, 1, true, true},
    [VF_DT_F6_E2M3] = {"F6_E2M3", 4, 3, true, true},
    [VF_DT_F6_E3M2] = {"F6_E3M2", 4, 3, true, true},
    [VF_DT_I16] = {"I16", 1, 2, false, true},
    [VF_DT_U16] = {"U16", 1, 2, false, true},
    [VF_DT_F16] = {"F16", 1, 2, true, true},
    [VF_DT_BF16] = {"BF16", 1, 2, true, true},
    [VF_DT_I32] = {"I32", 1, 4, false, true},
    [VF_DT_U32] = {"U32", 1, 4, false, true},
    [VF_DT_F32] = {"F32", 1, 4, true, true},
    [VF_DT_F64] = {"F64", 1, 8, true, true},
    [VF_DT_I64] = {"I64", 1, 8, false, true},
    [VF_DT_U64] = {"U64", 1, 8, false, true},
    [VF_DT_C64] = {"C64", 1, 8, true, true},
    [VF_DT_Q4_0] = {"Q4_0", 32, 18, true, false},
    [VF_DT_Q4_1] = {"Q4_1", 32, 20, true, false},
    [VF_DT_Q5_0] = {"Q5_0", 32, 22, true, false},
    [VF_DT_Q5_1] = {"Q5_1", 32, 24, true, false},
    [VF_DT_Q8_0] = {"Q8_0", 32, 34, true, false},
    [VF_DT_Q8_1] = {"Q8_1", 32, 36, true, false},
    [VF_DT_Q2_K] = {"Q2_K", 256, 84, true, false},
    [VF_DT_Q3_K] = {"Q3_K", 256, 110, true, false},
    [VF_DT_Q4_K] = {"Q4_K", 256, 144, true, false},
    [VF_DT_Q5_K] = {"Q5_K", 256, 176, true, false},
    [VF_DT_Q6_K] = {"Q6_K", 256, 210, true, false},
    [VF_DT_Q8_K] = {"Q8_K", 256, 292, true, false},
    [VF_DT_IQ2_XXS] = {"IQ2_XXS", 256, 66, true, false},
    [VF_DT_IQ2_XS] = {"IQ2_XS", 256, 74, true, false},
    [VF_DT_IQ3_XXS] = {"IQ3_XXS", 256, 98, true, false},
    [VF_DT_IQ1_S] = {"IQ1_S", 256, 50, true, false},
    [VF_DT_IQ4_NL] = {"IQ4_NL", 32, 18, true, false},
    [VF_DT_IQ3_S] = {"IQ3_S", 256, 110, true, false},
    [VF_DT_IQ2_S] = {"IQ2_S", 256, 82, true, false},
    [VF_DT_IQ4_XS] = {"IQ4_XS", 256, 136, true, false},
    [VF_DT_IQ1_M] = {"IQ1_M", 256, 56, true, false},
    [VF_DT_TQ1_0] = {"TQ1_0", 256, 54, true, false},
    [VF_DT_TQ2_0] = {"TQ2_0", 256, 66, true, false},
    [VF_DT_MXFP4] = {"MXFP4", 32, 17, true, false},
};

const char *vf_dtype_name(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT ? dtypes[dt].name : "?";
}

enum vf_dtype vf_dtype_from_name(const char *name)
{
	/* first byte before strcmp: called once per tensor, 92k times on
	 * DeepSeek-V3, and a bare strcmp loop was 6 % of reading it */
	for (unsigned i = 1; i < VF_DT_COUNT; i++)
		if (dtypes[i].name[0] == name[0] && strcmp(dtypes[i].name, name) == 0)
			return (enum vf_dtype)i;
	return VF_DT_UNKNOWN;
}

bool vf_dtype_is_safetensors(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT && dtypes[dt].safetensors;
}

unsigned vf_dtype_bits(enum vf_dtype dt)
{
	if (!vf_dtype_is_safetensors(dt))
		return 0;
	return dtypes[dt].block_bytes * 8 / dtypes[dt].block_elems;
}

bool vf_dtype_is_float(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT && dtypes[dt].is_float;
}

bool vf_dtype_is_quantized(enum vf_dtype dt)
{
	return dt >= VF_DT_Q4_0 && dt < VF_DT_COUNT;
}

unsigned vf_dtype_block_elems(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT ? dtypes[dt].block_elems : 0;
}

unsigned vf_dtype_block_bytes(enum vf_dtype dt)
{
	return (unsigned)dt < VF_DT_COUNT ? dtypes[dt].block_bytes : 0;
}

bool vf_dtype_nbytes(enum vf_dtype dt, uint64_t numel, uint64_t *out)
{
	unsigned be = vf_dtype_block_elems(dt);

	if (!be || numel % be != 0)
		return false;
	return vf_mul_ok(numel / be, vf_dtype_block_bytes(dt), out);
}
