/*
 * test_safetensors_bad.c - every class of malformed or hostile safetensors
 * input gets VF_EFORMAT (or VF_ENOMEM for the memory cap) with a message that
 * names what is wrong, and the model is not returned.  The list follows the
 * checks of the reference reader and the 2023 Trail of Bits audit.
 */
#include "tests/unit/testutil.h"

#include "common/json.h"
#include "formats/formats.h"

#define NOLEN (~(uint64_t)0)

struct bad_case {
	const char *name;
	const char *header; /* NULL: raw bytes below */
	uint64_t len;	    /* header length field, NOLEN for strlen(header) */
	uint64_t data_len;  /* bytes after the header */
	const char *raw;    /* raw file content when header is NULL */
	size_t raw_len;
	enum vf_status status;
	const char *msg; /* a substring the message must contain */
};

#define F32_1(off) "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" off "]}"

static const struct bad_case cases[] = {
    {"empty", NULL, 0, 0, "", 0, VF_EFORMAT, "too short for a safetensors header"},
    {"seven", NULL, 0, 0, "\x02\0\0\0\0\0\0", 7, VF_EFORMAT, "too short"},
    {"len_max", NULL, 0, 0, "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10, VF_EFORMAT,
     "header length 18446744073709551615 is more than the 100000000 allowed"},
    {"len_200mb", "{}", 200000000, 0, NULL, 0, VF_EFORMAT, "is more than the 100000000 allowed"},
    {"len_past_file", "{}", 1000, 0, NULL, 0, VF_EFORMAT, "runs past the end of the file"},
    {"not_brace", "[1, 2]", NOLEN, 0, NULL, 0, VF_EFORMAT, "does not start with '{'"},
    {"zero_len", "", NOLEN, 0, NULL, 0, VF_EFORMAT, "does not start with '{'"},
    {"not_json", "{abc}", NOLEN, 0, NULL, 0, VF_EFORMAT, "header is not valid JSON"},
    {"trailing_json", "{} {}", NOLEN, 0, NULL, 0, VF_EFORMAT, "data after the JSON value"},
    {"nul_after_json", NULL, 0, 0, "\x05\0\0\0\0\0\0\0{}\0xx", 13, VF_EFORMAT,
     "control character (at byte 2)"},
    {"bad_utf8", "{\"a\xff\": 1}", NOLEN, 0, NULL, 0, VF_EFORMAT, "not valid UTF-8"},
    {"overlong_utf8", "{\"\xc0\xaf\": 1}", NOLEN, 0, NULL, 0, VF_EFORMAT, "not valid UTF-8"},
    {"surrogate_utf8", "{\"\xed\xa0\x80\": 1}", NOLEN, 0, NULL, 0, VF_EFORMAT, "not valid UTF-8"},
    {"raw_newline_in_name", "{\"a\nb\": " F32_1("0,4") "}", NOLEN, 4, NULL, 0, VF_EFORMAT,
     "control character inside a string"},
    {"nul_escape", "{\"a\\u0000b\": " F32_1("0,4") "}", NOLEN, 4, NULL, 0, VF_EFORMAT, "\\u0000"},
    {"not_object_entry", "{\"a\": 5}", NOLEN, 0, NULL, 0, VF_EFORMAT, "is not a JSON object"},
    {"overlap",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
     NOLEN, 24, NULL, 0, VF_EFORMAT, "\"a\" and \"b\" overlap"},
    {"same_offsets",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
     NOLEN, 16, NULL, 0, VF_EFORMAT, "overlap"},
    {"gap",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[20,36]}}",
     NOLEN, 36, NULL, 0, VF_EFORMAT, "gap of 4 unused bytes before tensor \"b\""},
    {"gap_at_start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", NOLEN, 8,
     NULL, 0, VF_EFORMAT, "gap of 4 unused bytes"},
    {"data_past_end", "{\"a\":" F32_1("0,4") "}", NOLEN, 2, NULL, 0, VF_EFORMAT,
     "runs past the end of the file (needs 4 bytes, has 2)"},
    {"polyglot_far_offset",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4503599627370496,4503599627370500]}"
     "}",
     NOLEN, 4, NULL, 0, VF_EFORMAT, "gap of"},
    {"trailing_bytes", "{\"a\":" F32_1("0,4") "}", NOLEN, 9, NULL, 0, VF_EFORMAT,
     "5 trailing bytes after the last tensor"},
    {"trailing_no_tensors", "{}", NOLEN, 3, NULL, 0, VF_EFORMAT, "3 trailing bytes"},
    {"shape_overflow",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,2],\"data_offsets\":[0,0]}}", NOLEN,
     0, NULL, 0, VF_EFORMAT, "element count overflows 64 bits"},
    {"shape_wraps_to_zero",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", NOLEN,
     0, NULL, 0, VF_EFORMAT, "element count overflows"},
    {"bits_overflow",
     "{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483648,2147483648],\"data_offsets\":[0,0]}}", NOLEN,
     0, NULL, 0, VF_EFORMAT, "size in bits overflows"},
    {"bytes_disagree", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "shape needs 8 bytes but data_offsets span 4"},
    {"negative_dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "dimension 0 is not an integer"},
    {"fraction_dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "dimension 0 is not an integer"},
    {"huge_dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "dimension 0 is not an integer"},
    {"string_dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "dimension 0 is not an integer"},
    {"negative_offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", NOLEN,
     4, NULL, 0, VF_EFORMAT, "data_offsets is not two integers"},
    {"three_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", NOLEN,
     4, NULL, 0, VF_EFORMAT, "data_offsets is not two integers"},
    {"end_before_begin", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", NOLEN,
     4, NULL, 0, VF_EFORMAT, "end before begin"},
    {"unknown_dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", NOLEN,
     16, NULL, 0, VF_EFORMAT, "unknown dtype \"F128\""},
    {"lowercase_dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", NOLEN,
     4, NULL, 0, VF_EFORMAT, "unknown dtype"},
    {"dtype_not_string", "{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "dtype is not a string"},
    {"f4_odd", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", NOLEN, 2, NULL, 0,
     VF_EFORMAT, "not a whole number of bytes"},
    {"missing_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", NOLEN, 0, NULL, 0, VF_EFORMAT,
     "lacks \"data_offsets\""},
    {"extra_field",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"stride\":[1]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "unexpected field \"stride\""},
    {"meta_not_string", "{\"__metadata__\":{\"format\":1}}", NOLEN, 0, NULL, 0, VF_EFORMAT,
     "__metadata__ value of \"format\" is not a string"},
    {"meta_not_object", "{\"__metadata__\":[\"pt\"]}", NOLEN, 0, NULL, 0, VF_EFORMAT,
     "__metadata__ is not an object"},
    {"duplicate_name", "{\"a\":" F32_1("0,4") ",\"a\":" F32_1("4,8") "}", NOLEN, 8, NULL, 0,
     VF_EFORMAT, "tensor \"a\" appears twice"},
    {"duplicate_field",
     "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,4]}}", NOLEN, 4,
     NULL, 0, VF_EFORMAT, "repeats the key \"dtype\""},
};

static void run_case(const struct bad_case *c)
{
	char path[512];
	struct vf_model *m = (struct vf_model *)1;
	struct vf_err err = {0};
	enum vf_status st;

	snprintf(path, sizeof(path), "%s/%s.safetensors", tu_scratch(), c->name);
	if (c->header)
		tu_write_st(path, c->header, c->len, c->data_len);
	else
		tu_write(path, c->raw, c->raw_len);
	st = vf_model_open(path, &m, &err);
	if (st != c->status || !strstr(err.msg, c->msg) || strcmp(err.path, path) != 0)
		fail_msg("case %s: status %d, path '%s', message '%s'; want %d and '%s'", c->name,
			 st, err.path, err.msg, c->status, c->msg);
	assert_null(m);
}

static void test_every_bad_case(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* A header of [1,1,1,...] expanded ~32x in cJSON nodes when headers were
 * parsed into a tree; the tree-free reader stores no more than 64 dimensions
 * and stops at the 65th, so the long shape costs nothing. */
static void test_long_shape_stops_early(void **state)
{
	size_t n = 400000;
	char *h = malloc(n + 64);
	char path[512];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	size_t o;

	(void)state;
	o = (size_t)sprintf(h, "{\"a\":{\"dtype\":\"U8\",\"shape\":[");
	while (o < n)
		o += (size_t)sprintf(h + o, "1,");
	sprintf(h + o, "1],\"data_offsets\":[0,1]}}");
	tu_write_st(tu_path(path, sizeof(path), "cap.safetensors"), h, NOLEN, 1);
	free(h);
	assert_int_equal(vf_model_open(path, &m, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "tensor \"a\" has more than 64 dimensions"));
	assert_null(m);
}

/* Nesting deeper than the scanner's limit is refused, without a stack overflow. */
static void test_deep_nesting(void **state)
{
	size_t depth = 100000;
	char *h = malloc(2 * depth + 16);
	char path[512];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	size_t o = 0;

	(void)state;
	o += (size_t)sprintf(h, "{\"a\":");
	for (size_t i = 0; i < depth; i++)
		h[o++] = '[';
	for (size_t i = 0; i < depth; i++)
		h[o++] = ']';
	h[o++] = '}';
	h[o] = '\0';
	tu_write_st(tu_path(path, sizeof(path), "deep.safetensors"), h, NOLEN, 0);
	free(h);
	assert_int_equal(vf_model_open(path, &m, &err), VF_EFORMAT);
	/* level 1 is the header object at byte 0; "{\"a\":" is 5 bytes, so the
	 * 64th '[' (level 65) is byte 5 + 63 */
	assert_non_null(strstr(err.msg, "header nests more than 64 levels deep (at byte 68)"));
}

/* More dimensions than any framework has. */
static void test_too_many_dims(void **state)
{
	char h[1024], path[512];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	size_t o = (size_t)sprintf(h, "{\"a\":{\"dtype\":\"U8\",\"shape\":[");

	(void)state;
	for (int i = 0; i < 65; i++)
		o += (size_t)sprintf(h + o, "%s1", i ? "," : "");
	sprintf(h + o, "],\"data_offsets\":[0,1]}}");
	tu_write_st(tu_path(path, sizeof(path), "dims.safetensors"), h, NOLEN, 1);
	assert_int_equal(vf_model_open(path, &m, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "more than 64 dimensions"));
}

/* Legal edge cases the reference accepts: scalars, zero-size tensors, no tensors. */
static void test_legal_edges(void **state)
{
	char path[512];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	const char *h =
	    "{\"__metadata__\":null,"
	    "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
	    "\"z\":{\"dtype\":\"F32\",\"shape\":[0,9007199254740991],\"data_offsets\":[8,8]},"
	    "\"f6\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[8,11]}}   ";

	(void)state;
	tu_write_st(tu_path(path, sizeof(path), "edges.safetensors"), h, NOLEN, 11);
	assert_int_equal(vf_model_open(path, &m, &err), VF_OK);
	assert_int_equal(m->ntensors, 3);
	assert_int_equal(m->tensors[0].numel, 1); /* a scalar holds one value */
	assert_int_equal(m->tensors[0].nbytes, 8);
	assert_int_equal(m->tensors[0].offset, 8 + strlen(h)); /* data follows the header */
	assert_int_equal(m->tensors[1].numel, 0);
	assert_int_equal(m->tensors[2].nbytes, 3); /* 4 values x 6 bits = 24 bits */
	assert_int_equal(m->tensors[2].offset, 8 + strlen(h) + 8);
	assert_int_equal(m->nmeta, 0);
	vf_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_bad_case), cmocka_unit_test(test_long_shape_stops_early),
	    cmocka_unit_test(test_deep_nesting),   cmocka_unit_test(test_too_many_dims),
	    cmocka_unit_test(test_legal_edges),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("safetensors_bad", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
