/*
 * test_planner_class.c - what the memory model reads from tensor names
 * (vf_tensor_class), and what struct vf_ckpt sums once per checkpoint.  The
 * expected bits follow from the names; the sums are worked out by hand from
 * the shapes below.
 */
#include "tests/unit/testutil.h"

#include "formats/model_build.h"
#include "planner/planner.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_class_of_names(void **state)
{
	static const struct {
		const char *name;
		unsigned cls;
	} cases[] = {
	    /* DeepSeek-V3: a routed expert's fp8 matrix and its scale */
	    {"model.layers.3.mlp.experts.106.down_proj.weight",
	     VF_TC_WEIGHT | VF_TC_ROUTED | VF_TC_MATRIX},
	    {"model.layers.3.mlp.experts.106.down_proj.weight_scale_inv",
	     VF_TC_AUX | VF_TC_ROUTED | VF_TC_MATRIX},
	    /* shared experts run for every token: not routed */
	    {"model.layers.3.mlp.shared_experts.down_proj.weight", VF_TC_WEIGHT | VF_TC_MATRIX},
	    {"model.layers.3.mlp.shared_expert.down_proj.weight", VF_TC_WEIGHT | VF_TC_MATRIX},
	    {"model.layers.3.mlp.gate.e_score_correction_bias", VF_TC_ROUTER_BIAS | VF_TC_MATRIX},
	    /* no block number, or an embedding or a norm: no matrix to quantize */
	    {"model.embed_tokens.weight", VF_TC_WEIGHT},
	    {"model.layers.0.input_layernorm.weight", VF_TC_WEIGHT},
	    {"model.layers.0.embed_proj.weight", VF_TC_WEIGHT},
	    {"lm_head.weight", VF_TC_WEIGHT},
	    /* GGUF experts, routed and shared */
	    {"blk.0.ffn_gate_exps.weight", VF_TC_WEIGHT | VF_TC_ROUTED | VF_TC_MATRIX},
	    {"blk.0.ffn_gate_shexp.weight", VF_TC_WEIGHT | VF_TC_MATRIX},
	    /* quantizers: bookkeeping holds no parameters, packed int32 holds several */
	    {"model.layers.0.mlp.down_proj.weight.quant_state.bitsandbytes__nf4",
	     VF_TC_AUX | VF_TC_MATRIX},
	    {"model.layers.0.self_attn.q_proj.qweight", VF_TC_PACKED | VF_TC_MATRIX},
	    {"model.layers.0.self_attn.q_proj.qzeros", VF_TC_AUX | VF_TC_MATRIX},
	    {"model.layers.0.self_attn.q_proj.weight_packed", VF_TC_PACKED | VF_TC_MATRIX},
	    /* the tests are on dot-separated components: ".experts." and ".0" need
	     * the dot before them, ".scales" a dot, ".quant_state." both */
	    {"experts.0.weight", VF_TC_WEIGHT | VF_TC_MATRIX},
	    {"0.weight", VF_TC_WEIGHT},
	    {"scales", 0},
	    {"x.scales", VF_TC_AUX},
	    {"weight", 0},
	    {"a.quant_state", 0},
	    {"quant_state.x", 0},
	    {"x.quant_state.y", VF_TC_AUX},
	    {"a..0", VF_TC_MATRIX},
	    {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		unsigned got = vf_tensor_class(cases[i].name);
		if (got != cases[i].cls)
			fail_msg("'%s': class %#x, want %#x", cases[i].name, got, cases[i].cls);
		assert_int_equal(vf_tensor_is_quant_aux(cases[i].name),
				 (cases[i].cls & VF_TC_AUX) != 0);
	}
}

/* Tensors as a DeepSeek-V3 checkpoint lists them, with a tied head. */
static struct vf_model *small_moe(void)
{
	static const struct {
		const char *name;
		enum vf_dtype dt;
		uint64_t rows, cols;
		bool tied;
	} ts[] = {
	    {"model.embed_tokens.weight", VF_DT_BF16, 16, 8, false},			 /* 256 B */
	    {"model.layers.0.mlp.experts.0.up_proj.weight", VF_DT_F8_E4M3, 4, 8, false}, /* 32 B */
	    {"model.layers.0.mlp.experts.0.up_proj.weight_scale_inv", VF_DT_F32, 1, 1, false},
	    {"model.layers.0.mlp.experts.1.up_proj.weight", VF_DT_F8_E4M3, 4, 8, false},
	    {"model.layers.0.mlp.experts.1.up_proj.weight_scale_inv", VF_DT_F32, 1, 1, false},
	    {"model.layers.0.mlp.gate.e_score_correction_bias", VF_DT_F32, 2, 1, false}, /* 8 B */
	    {"model.layers.0.mlp.shared_experts.up_proj.weight", VF_DT_BF16, 4, 8,
	     false},					    /* 64 B */
	    {"model.norm.weight", VF_DT_BF16, 8, 1, false}, /* 16 B */
	    {"lm_head.weight", VF_DT_BF16, 16, 8, true},    /* shares embed_tokens' storage */
	};
	struct vf_model *m = vf_model_new("small");
	struct vf_err err = {0};
	uint32_t f;

	assert_non_null(m);
	assert_int_equal(vf_model_add_file(m, "small", &f, &err), VF_OK);
	for (size_t i = 0; i < N(ts); i++) {
		uint64_t shape[2] = {ts[i].rows, ts[i].cols};
		struct vf_tensor t = {
		    .name = ts[i].name, .shape = shape, .ndim = 2, .dtype = ts[i].dt};
		t.numel = ts[i].rows * ts[i].cols;
		assert_true(vf_dtype_nbytes(t.dtype, t.numel, &t.nbytes));
		t.count_params = ts[i].tied ? 0 : t.numel;
		t.count_bytes = ts[i].tied ? 0 : t.nbytes;
		assert_int_equal(vf_model_add_tensor(m, &t, "small", &err), VF_OK);
	}
	return m;
}

static void test_ckpt_sums(void **state)
{
	struct vf_model *m = small_moe();
	struct vf_err err = {0};
	struct vf_ckpt ck;

	(void)state;
	assert_int_equal(vf_ckpt_init(&ck, m, &err), VF_OK);
	/* read one after another, each name gets the class it has alone */
	for (size_t i = 0; i < m->ntensors; i++)
		assert_int_equal(ck.cls[i], vf_tensor_class(m->tensors[i].name));
	/* 128 embedding + 32 + 32 routed + 32 shared + 8 norm; scales, the
	 * router bias and the tied head hold none */
	assert_int_equal(ck.params, 232);
	assert_int_equal(ck.routed, 64);
	assert_false(ck.params_wrapped);
	/* 256 + 32 + 4 + 32 + 4 + 8 + 64 + 16 (the tied head counts once) */
	assert_int_equal(ck.stored, 416);
	assert_int_equal(ck.as_stored, 416);
	/* each a 512-byte block: 256 + 480 + 508 + 480 + 508 + 504 + 448 + 496 */
	assert_int_equal(ck.as_stored_round, 3680);
	assert_false(ck.bytes_wrapped);
	assert_int_equal(ck.dominant, VF_DT_BF16); /* 336 bytes, fp8 64, fp32 16 */
	assert_true(ck.quantized);		   /* fp8 scales */
	vf_ckpt_release(&ck);
	vf_model_free(m);
}

/*
 * 20,000 tensors: past the size where vf_ckpt_init() reads the names in two
 * halves on two threads.  Pairs of a routed bf16 expert matrix [4, 8] and its
 * fp32 [1, 1] scale; the sums are those of 10,000 pairs, by hand.
 */
static void test_ckpt_sums_big(void **state)
{
	enum { PAIRS = 10000 };
	struct vf_model *m = vf_model_new("big");
	struct vf_err err = {0};
	struct vf_ckpt ck;
	uint32_t f;

	(void)state;
	assert_non_null(m);
	assert_int_equal(vf_model_add_file(m, "big", &f, &err), VF_OK);
	for (int i = 0; i < PAIRS; i++) {
		char name[96];
		uint64_t w[2] = {4, 8}, sc[2] = {1, 1};
		struct vf_tensor a = {.name = name,
				      .shape = w,
				      .ndim = 2,
				      .dtype = VF_DT_BF16,
				      .numel = 32,
				      .nbytes = 64,
				      .count_params = 32,
				      .count_bytes = 64};
		struct vf_tensor b = {.name = name,
				      .shape = sc,
				      .ndim = 2,
				      .dtype = VF_DT_F32,
				      .numel = 1,
				      .nbytes = 4,
				      .count_params = 1,
				      .count_bytes = 4};
		snprintf(name, sizeof(name), "model.layers.%d.mlp.experts.%d.up_proj.weight",
			 i / 100, i % 100);
		assert_int_equal(vf_model_add_tensor(m, &a, "big", &err), VF_OK);
		snprintf(name, sizeof(name),
			 "model.layers.%d.mlp.experts.%d.up_proj.weight_scale_inv", i / 100,
			 i % 100);
		assert_int_equal(vf_model_add_tensor(m, &b, "big", &err), VF_OK);
	}
	assert_int_equal(vf_ckpt_init(&ck, m, &err), VF_OK);
	for (size_t i = 0; i < m->ntensors; i++)
		assert_int_equal(ck.cls[i], vf_tensor_class(m->tensors[i].name));
	assert_int_equal(ck.params, 32 * PAIRS); /* scales hold no parameters */
	assert_int_equal(ck.routed, 32 * PAIRS);
	assert_int_equal(ck.stored, (64 + 4) * PAIRS);
	assert_int_equal(ck.as_stored, (64 + 4) * PAIRS);
	/* each rounds up to a 512-byte block */
	assert_int_equal(ck.as_stored_round, (512 - 64 + 512 - 4) * PAIRS);
	assert_false(ck.params_wrapped);
	assert_false(ck.bytes_wrapped);
	assert_int_equal(ck.dominant, VF_DT_BF16);
	assert_true(ck.quantized);
	vf_ckpt_release(&ck);
	vf_model_free(m);
}

static void same_estimate(const struct vf_estimate *a, const struct vf_estimate *b)
{
	assert_int_equal(a->params_total, b->params_total);
	assert_int_equal(a->params_active, b->params_active);
	assert_int_equal(a->weights, b->weights);
	assert_int_equal(a->weights_stored, b->weights_stored);
	assert_int_equal(a->allocator, b->allocator);
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->compute, b->compute);
}

static void test_ckpt_layers_and_estimate(void **state)
{
	struct vf_model *m = small_moe();
	struct vf_err err = {0};
	struct vf_ckpt ck;
	struct vf_layers ly;
	struct vf_workload w;
	struct vf_estimate a, b;
	struct vf_wconv bf16 = {VF_DT_BF16, false, VF_WQ_NONE, 0, 0};

	(void)state;
	assert_int_equal(vf_ckpt_init(&ck, m, &err), VF_OK);
	assert_int_equal(vf_layers_group(m, false, &ly, &err), VF_OK);
	assert_int_equal(ly.n, 4);
	assert_string_equal(ly.v[1].name, "model.layers.0");
	vf_workload_init(&w);
	vf_layers_weigh(&ly, &ck, &w.weights);
	assert_int_equal(ly.v[0].params, 128);
	assert_int_equal(ly.v[0].bytes, 256);
	assert_int_equal(ly.v[1].params, 96);
	assert_int_equal(ly.v[1].bytes, 144);
	assert_int_equal(ly.v[3].params, 0); /* lm_head, tied */
	assert_int_equal(ly.v[3].bytes, 0);
	/* in bf16: fp8 is not widened, the fp32 scales and bias are narrowed,
	 * 32 + 2 + 32 + 2 + 4 + 64 */
	vf_layers_weigh(&ly, &ck, &bf16);
	assert_int_equal(ly.v[1].bytes, 136);
	vf_layers_release(&ly);

	/* the estimate from the checkpoint read once is the one from the model */
	assert_int_equal(vf_estimate(m, NULL, &w, &a, &err), VF_OK);
	assert_int_equal(vf_estimate_ckpt(&ck, NULL, &w, &b, &err), VF_OK);
	same_estimate(&a, &b);
	assert_int_equal(a.params_total, 232);
	assert_int_equal(a.weights, 416);
	assert_int_equal(a.allocator, 3680);
	w.weights = bf16;
	assert_int_equal(vf_estimate(m, NULL, &w, &a, &err), VF_OK);
	assert_int_equal(vf_estimate_ckpt(&ck, NULL, &w, &b, &err), VF_OK);
	same_estimate(&a, &b);
	assert_int_equal(a.weights, 256 + 136 + 16);
	vf_ckpt_release(&ck);
	vf_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_class_of_names),
	    cmocka_unit_test(test_ckpt_sums),
	    cmocka_unit_test(test_ckpt_sums_big),
	    cmocka_unit_test(test_ckpt_layers_and_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
