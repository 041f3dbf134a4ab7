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
#include "common/par.h"
#include "formats/formats.h"

#include <sys/stat.h>
#include <unistd.h>
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

/* Worker threads come from the CPUs this process may use (issue 12). */
static void test_cpu_count(void **state)
{
	char root[512], self[512], d[600], f[700];
	unsigned n = vf_par_cpus();
	(void)state;

	assert_int_equal(vf_par_cpu_max("max 100000\n"), 0);
	assert_int_equal(vf_par_cpu_max("200000 100000\n"), 2);
	assert_int_equal(vf_par_cpu_max("150000 100000\n"), 2); /* rounded up */
	assert_int_equal(vf_par_cpu_max("50000 100000\n"), 1);
	assert_int_equal(vf_par_cpu_max("50000\n"), 1); /* default period */
	assert_int_equal(vf_par_cpu_max("-1 100000\n"), 0);
	assert_int_equal(vf_par_cpu_max("lots 100000\n"), 0);
	assert_int_equal(vf_par_cpu_max(""), 0);
	assert_true(n >= 1 && n <= (unsigned)sysconf(_SC_NPROCESSORS_ONLN));

	/* a cgroup of 1.5 CPUs below a parent of 8: two threads */
	tu_path(root, sizeof(root), "cg");
	tu_path(self, sizeof(self), "cg_self");
	mkdir(root, 0755);
	snprintf(d, sizeof(d), "%s/kubepods", root);
	mkdir(d, 0755);
	snprintf(f, sizeof(f), "%s/cpu.max", d);
	tu_write(f, "800000 100000\n", 14);
	snprintf(d, sizeof(d), "%s/kubepods/pod1", root);
	mkdir(d, 0755);
	snprintf(f, sizeof(f), "%s/cpu.max", d);
	tu_write(f, "150000 100000\n", 14);
	tu_write(self, "1:name=systemd:/x\n0::/kubepods/pod1\n", 37);
	assert_int_equal(vf_par_cpus_at(root, self), n < 2 ? n : 2);
	/* no limit anywhere, or no cgroup file: the affinity mask alone */
	tu_write(f, "max 100000\n", 11);
	snprintf(f, sizeof(f), "%s/kubepods/cpu.max", root);
	tu_write(f, "max 100000\n", 11);
	assert_int_equal(vf_par_cpus_at(root, self), n);
	assert_int_equal(vf_par_cpus_at(root, "/nonexistent/cgroup"), n);
}

/* A FIFO is refused without waiting for a writer; outputs that are not
 * regular files are never replaced. */
static void test_not_regular(void **state)
{
	char fifo[512], dir[512], link[512], target[512];
	struct vf_file f;
	struct vf_err err = {0};
	char *buf;
	size_t len;
	(void)state;

	tu_path(fifo, sizeof(fifo), "fifo");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(vf_file_open(&f, fifo, &err), VF_EFORMAT);
	assert_string_equal(err.msg, "not a regular file");
	vf_err_clear(&err);
	assert_int_equal(vf_file_write_atomic(fifo, "x", 1, &err), VF_EIO);
	assert_string_equal(err.msg, "is a FIFO, not a regular file: nothing written");
	vf_err_clear(&err);

	tu_path(dir, sizeof(dir), "outdir");
	mkdir(dir, 0755);
	assert_int_equal(vf_file_write_atomic(dir, "x", 1, &err), VF_EIO);
	assert_string_equal(err.msg, "is a directory, not a regular file: nothing written");
	vf_err_clear(&err);

	tu_path(target, sizeof(target), "target");
	tu_path(link, sizeof(link), "link");
	tu_write(target, "old", 3);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(vf_file_write_atomic(link, "new", 3, &err), VF_EIO);
	assert_string_equal(err.msg, "is a symbolic link, not a regular file: nothing written");
	vf_err_clear(&err);
	assert_int_equal(vf_file_slurp(target, 16, &buf, &len, &err), VF_OK);
	assert_string_equal(buf, "old");
	vf_free(buf);

	/* a regular file is replaced, and no temporary file stays behind */
	assert_int_equal(vf_file_write_atomic(target, "new", 3, &err), VF_OK);
	assert_int_equal(vf_file_slurp(target, 16, &buf, &len, &err), VF_OK);
	assert_string_equal(buf, "new");
	vf_free(buf);
	assert_int_equal(vf_file_check_target("-", &err), VF_OK);
	{
		char nope[512];
		tu_path(nope, sizeof(nope), "not/there/map.json");
		assert_int_equal(vf_file_write_atomic(nope, "x", 1, &err), VF_EIO);
		assert_string_equal(err.msg, "cannot write: No such file or directory");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_reads_header_only),
	    cmocka_unit_test(test_utf8),	   cmocka_unit_test(test_exact_integers),
	    cmocka_unit_test(test_strict_json),	   cmocka_unit_test(test_dtype_table),
	    cmocka_unit_test(test_cpu_count),	   cmocka_unit_test(test_not_regular),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("robustness", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
