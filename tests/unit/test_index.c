/*
 * test_index.c - sharded checkpoints: the real fixture (written by the
 * safetensors package, index laid out as transformers writes it) and every way
 * an index and its shards can disagree.
 */
#include <sys/stat.h>

#include "tests/unit/testutil.h"

#include "common/json.h"
#include "common/mem.h"
#include <limits.h>
#include "formats/formats.h"

#define NOLEN (~(uint64_t)0)
#define X_HDR "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
#define Y_HDR "{\"y\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}"

static char dir[512];

static void make_dir(const char *name, const char *index)
{
	char p[600];

	snprintf(dir, sizeof(dir), "%s/%s", tu_scratch(), name);
	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/a.safetensors", dir);
	tu_write_st(p, X_HDR, NOLEN, 8);
	snprintf(p, sizeof(p), "%s/b.safetensors", dir);
	tu_write_st(p, Y_HDR, NOLEN, 4);
	if (index) {
		snprintf(p, sizeof(p), "%s/model.safetensors.index.json", dir);
		tu_write(p, index, strlen(index));
	}
}

static void expect_error(const char *name, const char *index, const char *file, const char *msg)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	char want_path[700];

	make_dir(name, index);
	snprintf(want_path, sizeof(want_path), "%s/%s", dir, file);
	assert_int_equal(vf_model_open(dir, &m, &err), VF_EFORMAT);
	if (!strstr(err.msg, msg) || strcmp(err.path, want_path) != 0)
		fail_msg("%s: got '%s: %s', want '%s: ...%s...'", name, err.path, err.msg,
			 want_path, msg);
	assert_null(m);
}

static void test_good_index(void **state)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};

	(void)state;
	make_dir("good", "{\"metadata\":{\"total_size\":12},"
			 "\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}}");
	assert_int_equal(vf_model_open(dir, &m, &err), VF_OK);
	assert_int_equal(m->ntensors, 2);
	assert_int_equal(m->nfiles, 2);
	assert_int_equal(m->nwarnings, 0);
	vf_model_free(m);
}

static void test_total_size_mismatch_warns(void **state)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};

	(void)state;
	make_dir("total", "{\"metadata\":{\"total_size\":99},"
			  "\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}}");
	assert_int_equal(vf_model_open(dir, &m, &err), VF_OK);
	assert_int_equal(m->nwarnings, 1);
	assert_non_null(strstr(m->warnings[0], "total_size is 99 but the shards hold 12"));
	vf_model_free(m);
}

static void test_index_errors(void **state)
{
	(void)state;
	expect_error("missing_shard",
		     "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"c.safetensors\"}}",
		     "c.safetensors", "shard named by model.safetensors.index.json is missing");
	expect_error("not_in_shard",
		     "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\","
		     "\"z\":\"b.safetensors\"}}",
		     "model.safetensors.index.json", "tensor \"z\" is not in its shard");
	expect_error("not_in_index",
		     "{\"weight_map\":{\"x\":\"a.safetensors\",\"z\":\"b.safetensors\"}}",
		     "b.safetensors", "tensor \"y\" is not in model.safetensors.index.json");
	expect_error(
	    "wrong_shard", "{\"weight_map\":{\"x\":\"b.safetensors\",\"y\":\"a.safetensors\"}}",
	    "model.safetensors.index.json", "index puts tensor \"x\" in \"b.safetensors\"");
	expect_error("traversal",
		     "{\"weight_map\":{\"x\":\"../a.safetensors\",\"y\":\"b.safetensors\"}}",
		     "model.safetensors.index.json", "is not a plain file name");
	expect_error("no_weight_map", "{\"metadata\":{}}", "model.safetensors.index.json",
		     "no \"weight_map\" object");
	expect_error("empty_weight_map", "{\"weight_map\": {\n }}", "model.safetensors.index.json",
		     "index has an empty \"weight_map\"");
	expect_error("index_not_json", "{\"weight_map\":", "model.safetensors.index.json",
		     "index is not valid JSON");
	expect_error("index_dup",
		     "{\"weight_map\":{\"x\":\"a.safetensors\",\"x\":\"a.safetensors\"}}",
		     "model.safetensors.index.json", "repeats the key \"x\"");
}

/* Two shards of a plain directory that both hold "x". */
static void test_duplicate_across_files(void **state)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	char p[700];

	(void)state;
	make_dir("dup_dir", NULL);
	snprintf(p, sizeof(p), "%s/b.safetensors", dir);
	tu_write_st(p, X_HDR, NOLEN, 8);
	assert_int_equal(vf_model_open(dir, &m, &err), VF_EFORMAT);
	assert_string_equal(err.path, p);
	assert_non_null(strstr(err.msg, "tensor \"x\" is also in"));
}

static void test_empty_dir(void **state)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	char p[600];

	(void)state;
	snprintf(p, sizeof(p), "%s/empty_dir", tu_scratch());
	mkdir(p, 0755);
	assert_int_equal(vf_model_open(p, &m, &err), VF_EFORMAT);
	assert_non_null(
	    strstr(err.msg, "no checkpoint (safetensors, PyTorch, GGUF) or config.json"));
}

/* The real fixture: safetensors wrote the shards; counts are its own. */
static void test_real_sharded_fixture(void **state)
{
	struct vf_model *m = NULL, *m2 = NULL;
	struct vf_err err = {0};
	char p[600];

	(void)state;
	snprintf(p, sizeof(p), "%s/tiny_llama", tu_env("VF_FIXTURES"));
	assert_int_equal(vf_model_open(p, &m, &err), VF_OK);
	/* 12 layers x 9 tensors + embed + norm + head (declared in gen_fixtures.py) */
	assert_int_equal(m->ntensors, 12 * 9 + 3);
	assert_int_equal(m->nfiles, 2);
	assert_true(m->arch.present);
	assert_int_equal(m->arch.num_layers, 12);
	assert_int_equal(m->nwarnings, 0);
	assert_true(vf_model_find(m, "model.layers.11.mlp.down_proj.weight") >= 0);
	assert_int_equal(vf_model_find(m, "model.layers.12.mlp.down_proj.weight"), -1);
	/* the index file itself names the same model */
	snprintf(p, sizeof(p), "%s/tiny_llama/model.safetensors.index.json", tu_env("VF_FIXTURES"));
	assert_int_equal(vf_model_open(p, &m2, &err), VF_OK);
	assert_int_equal(m2->ntensors, m->ntensors);
	vf_model_free(m);
	vf_model_free(m2);
}

/* 24 shards of 3 tensors each (shard k holds "s<k>.t0..t2", k+1 floats
 * each), and an index that lists them, names in reverse order so shards are
 * discovered out of name order. */
static void make_many(const char *name, int bad1, int bad2)
{
	char p[700], h[512], *idx = malloc(65536);
	size_t o = 0;

	snprintf(dir, sizeof(dir), "%s/%s", tu_scratch(), name);
	mkdir(dir, 0755);
	o += (size_t)sprintf(idx + o, "{\"weight_map\":{");
	for (int k = 23; k >= 0; k--) {
		size_t b = (size_t)(k + 1) * 4, n = 0;
		n += (size_t)sprintf(h + n, "{");
		for (int t = 0; t < 3; t++) {
			n += (size_t)sprintf(h + n,
					     "%s\"s%d.t%d\":{\"dtype\":\"F32\",\"shape\":[%d],"
					     "\"data_offsets\":[%zu,%zu]}",
					     t ? "," : "", k, t, k + 1, b * (size_t)t,
					     b * (size_t)(t + 1));
			o += (size_t)sprintf(idx + o, "%s\"s%d.t%d\":\"m-%02d.safetensors\"",
					     k == 23 && t == 0 ? "" : ",", k, t, k);
		}
		n += (size_t)sprintf(h + n, "}");
		if (k == bad1 || k == bad2)
			h[n - 1] = ']'; /* the header's closing brace: not JSON */
		snprintf(p, sizeof(p), "%s/m-%02d.safetensors", dir, k);
		tu_write_st(p, h, NOLEN, b * 3);
	}
	sprintf(idx + o, "}}");
	snprintf(p, sizeof(p), "%s/model.safetensors.index.json", dir);
	tu_write(p, idx, strlen(idx));
	free(idx);
}

/*
 * Shards are parsed on worker threads (formats/shards.c) but committed in
 * name order: the tensor table must be exactly the serial one, and with two
 * broken shards the error must be the first one's by name, every time.  An
 * armed (never reached) allocation failure forces the serial path.
 */
static void test_threads_match_serial(void **state)
{
	struct vf_model *a = NULL, *b = NULL;
	struct vf_err err = {0};

	(void)state;
	make_many("many", -1, -1);
	for (int rep = 0; rep < 5; rep++) {
		assert_int_equal(vf_model_open(dir, &a, &err), VF_OK);
		vf_mem_fail_at(ULONG_MAX);
		assert_int_equal(vf_model_open(dir, &b, &err), VF_OK);
		vf_mem_fail_at(0);
		assert_int_equal(a->ntensors, 72);
		assert_int_equal(b->ntensors, 72);
		assert_int_equal(a->nfiles, 24);
		for (size_t i = 0; i < 72; i++) {
			/* name order: m-00 first, its tensors in header order */
			char want[32];
			snprintf(want, sizeof(want), "s%zu.t%zu", i / 3, i % 3);
			assert_string_equal(a->tensors[i].name, want);
			assert_string_equal(b->tensors[i].name, want);
			assert_int_equal(a->tensors[i].file, i / 3);
			assert_int_equal(a->tensors[i].offset, b->tensors[i].offset);
			assert_int_equal(a->tensors[i].nbytes, (i / 3 + 1) * 4);
		}
		vf_model_free(a);
		vf_model_free(b);
	}
	make_many("many_bad", 17, 6);
	for (int rep = 0; rep < 5; rep++) {
		char want[700];
		snprintf(want, sizeof(want), "%s/m-06.safetensors", dir);
		vf_err_clear(&err);
		assert_int_equal(vf_model_open(dir, &a, &err), VF_EFORMAT);
		assert_string_equal(err.path, want);
		/* '{' + entries of 57, 58 and 58 bytes + 2 commas + ']' = 177
		 * bytes: the ']' is byte 176 */
		assert_string_equal(err.msg, "header is not valid JSON (at byte 176)");
		assert_null(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_index),
	    cmocka_unit_test(test_total_size_mismatch_warns),
	    cmocka_unit_test(test_index_errors),
	    cmocka_unit_test(test_duplicate_across_files),
	    cmocka_unit_test(test_empty_dir),
	    cmocka_unit_test(test_real_sharded_fixture),
	    cmocka_unit_test(test_threads_match_serial),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("index", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
