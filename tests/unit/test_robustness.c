/*
 * test_robustness.c - the promises a file reader makes beyond parsing:
 * it fails cleanly at every allocation (SQLite-style fault injection; ASan
 * reports any leak on the error paths), reads only headers, and its strict
 * JSON layer refuses what cJSON alone would accept.
 */
#include "tests/unit/testutil.h"

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

static enum vf_status open_and_group(const char *path, struct vf_err *err)
{
	struct vf_model *m = NULL;
	struct vf_layers ly;
	enum vf_status st = vf_model_open(path, &m, err);

	if (!st) {
		st = vf_layers_group(m, false, &ly, err);
		if (!st)
			vf_layers_release(&ly);
	}
	vf_model_free(m);
	return st;
}

/* Fails the 1st, 2nd, ... allocation until the whole open succeeds. */
static void fail_every_allocation(const char *path)
{
	unsigned long n;
	struct vf_err err = {0};

	for (n = 1;; n++) {
		enum vf_status st;
		vf_err_clear(&err);
		vf_mem_fail_at(n);
		st = open_and_group(path, &err);
		vf_mem_fail_at(0);
		if (st == VF_OK)
			break;
		if (st != VF_ENOMEM)
			fail_msg("%s: allocation %lu failed but status is %d (%s)", path, n, st,
				 err.msg);
	}
	assert_true(n > 20); /* the loop did exercise many failure points */
}

static void test_alloc_failures(void **state)
{
	char p[600];

	(void)state;
	snprintf(p, sizeof(p), "%s/tiny_llama", tu_env("VF_FIXTURES"));
	fail_every_allocation(p);
	snprintf(p, sizeof(p), "%s/bert_dir", tu_env("VF_FIXTURES"));
	fail_every_allocation(p);
	snprintf(p, sizeof(p), "%s/all_dtypes.safetensors", tu_env("VF_FIXTURES"));
	fail_every_allocation(p);
}

/* A 4 GiB checkpoint (sparse) costs the same bytes read as a tiny one. */
static void test_reads_header_only(void **state)
{
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1073741824],"
			"\"data_offsets\":[0,4294967296]}}";
	char p[600];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	uint64_t before = vf_bytes_read;

	(void)state;
	tu_write_st(tu_path(p, sizeof(p), "big.safetensors"), h, ~(uint64_t)0, 4294967296ULL);
	assert_int_equal(vf_model_open(p, &m, &err), VF_OK);
	assert_int_equal(m->tensors[0].nbytes, 4294967296ULL);
	/* 32 bytes to recognise the format (formats/detect.h), 8 for the length, then
	 * the header */
	assert_int_equal(vf_bytes_read - before, 32 + 8 + strlen(h));
	vf_model_free(m);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(vf_utf8_valid((const unsigned char *)"plain", 5));
	assert_true(vf_utf8_valid((const unsigned char *)"\xc3\xa9", 2));	  /* e-acute */
	assert_true(vf_utf8_valid((const unsigned char *)"\xf0\x9f\x98\x80", 4)); /* emoji */
	assert_false(vf_utf8_valid((const unsigned char *)"\xc3", 1));		  /* cut short */
	assert_false(vf_utf8_valid((const unsigned char *)"\xc0\x80", 2));	  /* overlong NUL */
	assert_false(vf_utf8_valid((const unsigned char *)"\xed\xbf\xbf", 3));	  /* surrogate */
	assert_false(vf_utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(vf_utf8_valid((const unsigned char *)"\x80", 1));
}

static void test_exact_integers(void **state)
{
	struct vf_err err = {0};
	const char *text = "[0, 9007199254740991, 9007199254740992, 9007199254740993, -1, 2.5, "
			   "1e3, \"7\"]";
	cJSON *j = vf_json_parse(text, strlen(text), 1 << 20, "t", "test", &err);
	uint64_t v;
	cJSON *c;

	(void)state;
	assert_non_null(j);
	c = j->child;
	assert_true(vf_json_uint(c, &v) && v == 0);
	c = c->next;
	assert_true(vf_json_uint(c, &v) && v == 9007199254740991ULL); /* 2^53 - 1 */
	c = c->next;
	assert_false(vf_json_uint(c, &v)); /* 2^53 */
	c = c->next;
	assert_false(vf_json_uint(c, &v)); /* 2^53 + 1 would round to 2^53: refused */
	c = c->next;
	assert_false(vf_json_uint(c, &v)); /* negative */
	c = c->next;
	assert_false(vf_json_uint(c, &v)); /* fraction */
	c = c->next;
	assert_true(vf_json_uint(c, &v) && v == 1000); /* cJSON cannot tell 1e3 from 1000 */
	c = c->next;
	assert_false(vf_json_uint(c, &v)); /* a string is not a number */
	vf_json_free(j);
	(void)err;
}

static void test_strict_json(void **state)
{
	struct vf_err err = {0};
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"{\"a\":{\"b\":1,\"b\":2}}", "repeats the key \"b\""},
	    {"{\"a\":[{\"k\":1,\"k\":1}]}", "repeats the key \"k\""},
	    {"{\"a\":\"x\ty\"}", "control character inside a string"},
	    {"\x01{}", "control character"},
	    {"{\"a\":\"\\u0000\"}", "\\u0000"},
	    {"{} x", "data after the JSON value"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vf_err_clear(&err);
		assert_null(
		    vf_json_parse(bad[i].text, strlen(bad[i].text), 1 << 20, "t", "doc", &err));
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err.msg, bad[i].msg);
	}
	/* an escaped backslash before u0000 is text, not a NUL escape */
	vf_err_clear(&err);
	cJSON *ok = vf_json_parse("{\"a\":\"\\\\u0000\"}", 15, 1 << 20, "t", "doc", &err);
	assert_non_null(ok);
	assert_string_equal(cJSON_GetObjectItem(ok, "a")->valuestring, "\\u0000");
	vf_json_free(ok);
}

static void test_dtype_table(void **state)
{
	(void)state;
	/* sizes from the safetensors Dtype::bitsize() */
	assert_int_equal(vf_dtype_bits(vf_dtype_from_name("BF16")), 16);
	assert_int_equal(vf_dtype_bits(vf_dtype_from_name("F8_E4M3")), 8);
	assert_int_equal(vf_dtype_bits(vf_dtype_from_name("F4")), 4);
	assert_int_equal(vf_dtype_bits(vf_dtype_from_name("F6_E3M2")), 6);
	assert_int_equal(vf_dtype_bits(vf_dtype_from_name("C64")), 64);
	assert_int_equal(vf_dtype_from_name("bf16"), VF_DT_UNKNOWN);
	for (int d = 1; d < VF_DT_COUNT; d++)
		assert_int_equal(vf_dtype_from_name(vf_dtype_name((enum vf_dtype)d)), d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_reads_header_only),
	    cmocka_unit_test(test_utf8),	   cmocka_unit_test(test_exact_integers),
	    cmocka_unit_test(test_strict_json),	   cmocka_unit_test(test_dtype_table),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("robustness", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
