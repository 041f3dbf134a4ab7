/*
 * test_layers.c - grouping tensor names into layers in execution order.  The
 * expected orders are the module orders of the real model classes
 * (transformers' LlamaModel, llama.cpp's GGUF tensor names), written out here.
 */
#include "tests/unit/testutil.h"

#include "common/json.h"
#include "formats/model_build.h"
#include "planner/planner.h"

static struct vf_model *model_of(const char *const *names, size_t n)
{
	struct vf_model *m = vf_model_new("synthetic");
	struct vf_err err = {0};
	uint32_t f;
	uint64_t shape[2] = {4, 2};

	assert_non_null(m);
	assert_int_equal(vf_model_add_file(m, "synthetic", &f, &err), VF_OK);
	for (size_t i = 0; i < n; i++) {
		struct vf_tensor t = {.name = names[i],
				      .shape = shape,
				      .ndim = 2,
				      .dtype = VF_DT_F16,
				      .numel = 8,
				      .nbytes = 16};
		assert_int_equal(vf_model_add_tensor(m, &t, "synthetic", &err), VF_OK);
	}
	return m;
}

static void expect_order(const char *const *names, size_t n, bool keep, const char *const *want,
			 size_t nwant)
{
	struct vf_model *m = model_of(names, n);
	struct vf_layers ly;
	struct vf_err err = {0};
	uint64_t tensors = 0;

	assert_int_equal(vf_layers_group(m, keep, &ly, &err), VF_OK);
	if (ly.n != nwant)
		fail_msg("%zu layers, want %zu", ly.n, nwant);
	for (size_t i = 0; i < nwant; i++)
		if (strcmp(ly.v[i].name, want[i]) != 0)
			fail_msg("layer %zu is '%s', want '%s'", i, ly.v[i].name, want[i]);
	for (size_t i = 0; i < ly.n; i++)
		tensors += ly.v[i].ntensors;
	assert_int_equal(tensors, n); /* every tensor in exactly one layer */
	for (size_t i = 0; i < n; i++)
		assert_true(strncmp(names[i], ly.v[ly.of_tensor[i]].name,
				    strlen(ly.v[ly.of_tensor[i]].name)) == 0);
	vf_layers_release(&ly);
	vf_model_free(m);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Alphabetical file order (as in an index's weight_map) -> LlamaModel order. */
static void test_llama_alphabetical(void **state)
{
	static const char *const names[] = {
	    "lm_head.weight",
	    "model.embed_tokens.weight",
	    "model.layers.0.mlp.up_proj.weight",
	    "model.layers.1.mlp.up_proj.weight",
	    "model.layers.10.mlp.up_proj.weight",
	    "model.layers.10.self_attn.q_proj.weight",
	    "model.layers.2.mlp.up_proj.weight",
	    "model.layers.9.input_layernorm.weight",
	    "model.norm.weight",
	};
	static const char *const want[] = {
	    "model.embed_tokens", "model.layers.0",  "model.layers.1", "model.layers.2",
	    "model.layers.9",	  "model.layers.10", "model.norm",     "lm_head"};

	(void)state;
	expect_order(names, N(names), false, want, N(want));
}

/* GGUF names: token_embd, blk.N, output_norm, output (llama.cpp's order). */
static void test_gguf_names(void **state)
{
	static const char *const names[] = {
	    "blk.0.attn_q.weight",    "blk.1.attn_q.weight", "blk.10.ffn_up.weight",
	    "blk.2.attn_norm.weight", "output.weight",	     "output_norm.weight",
	    "token_embd.weight",
	};
	static const char *const want[] = {"token_embd", "blk.0",	"blk.1", "blk.2",
					   "blk.10",	 "output_norm", "output"};

	(void)state;
	expect_order(names, N(names), false, want, N(want));
}

/* A state_dict is already in execution order: keep it. */
static void test_keep_order(void **state)
{
	static const char *const names[] = {"fc2.weight", "fc2.bias", "net.1.weight",
					    "net.0.weight", "fc1.weight"};
	static const char *const want[] = {"fc2", "net.1", "net.0", "fc1"};

	(void)state;
	expect_order(names, N(names), true, want, N(want));
}

/* No blocks at all: one layer per top-level module. */
static void test_flat_model(void **state)
{
	static const char *const names[] = {"fc1.weight", "fc1.bias", "fc2.weight", "scale"};
	static const char *const want[] = {"fc1", "fc2", "scale"};

	(void)state;
	expect_order(names, N(names), false, want, N(want));
}

/* A parameter directly on the stack's parent must not swallow the stack. */
static void test_parameter_beside_stack(void **state)
{
	static const char *const names[] = {"model.layers.0.w", "model.layers.1.w", "model.scale"};
	static const char *const want[] = {"model.layers.0", "model.layers.1", "model.scale"};

	(void)state;
	expect_order(names, N(names), false, want, N(want));
}

/* Odd names must not crash: empty, dots only, very deep, huge numbers. */
static void test_odd_names(void **state)
{
	static char deep[400];
	const char *names[] = {"", ".", "..", "a..b", "x.99999999999.w", deep, "0.weight"};
	struct vf_model *m;
	struct vf_layers ly;
	struct vf_err err = {0};

	(void)state;
	for (size_t i = 0; i < 180; i++)
		memcpy(deep + 2 * i, "a.", 2);
	deep[360] = 'z';
	m = model_of(names, N(names));
	assert_int_equal(vf_layers_group(m, false, &ly, &err), VF_OK);
	assert_true(ly.n >= 1 && ly.n <= N(names));
	vf_layers_release(&ly);
	vf_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_llama_alphabetical),
	    cmocka_unit_test(test_gguf_names),
	    cmocka_unit_test(test_keep_order),
	    cmocka_unit_test(test_flat_model),
	    cmocka_unit_test(test_parameter_beside_stack),
	    cmocka_unit_test(test_odd_names),
	};

	vf_json_init();
	return cmocka_run_group_tests_name("layers", tests, NULL, NULL);
}
