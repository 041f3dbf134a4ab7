/*
 * test_capacity.c - planner/capacity.c: vLLM's tensor-parallel rule, its
 * pipeline split, and capacity answers for real model shapes on catalogue
 * GPUs, each checked against arithmetic written out here.
 *
 * Catalogue numbers used (gpu/gpu_catalog.c cites them): L4 23034 MiB and
 * 300 GB/s (NVIDIA L4 datasheet), H100 SXM 81559 MiB and 3.35 TB/s (H100
 * datasheet), A100 40GB 40960 MiB and 1,555 GB/s (A100 datasheet), H200
 * 143771 MiB and 4.8 TB/s (H200 datasheet).  CUDA context defaults: 500 MiB
 * for compute capability 8, 600 MiB for 9 (vf_gpu_context_overhead).
 */
#include "tests/unit/testutil.h"

#include <math.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "gpu/gpu.h"
#include "planner/capacity.h"
#include "planner/planner.h"

#define MIB (UINT64_C(1) << 20)

/* ---- vLLM's rules ---- */

static void test_tp_valid(void **state)
{
	static const struct {
		int64_t heads, kv;
		bool repl;
		unsigned tp;
		bool ok;
	} cases[] = {
	    {32, 32, false, 1, true},
	    {32, 32, false, 2, true},
	    {32, 32, false, 4, true},
	    {32, 32, false, 8, true},
	    /* Llama-3.1-70B: 64 heads, 8 KV heads, any TP up to a node */
	    {64, 8, false, 8, true},
	    {64, 8, false, 16, false},
	    /* KV heads 10 split over 2, but 10 % 4 and 10 % 8 are not 0 */
	    {40, 10, false, 2, true},
	    {40, 10, false, 4, false},
	    {40, 10, false, 8, false},
	    /* fewer KV heads than GPUs: replicated when TP is a multiple (Qwen2.5-3B) */
	    {16, 2, false, 4, true},
	    {16, 2, false, 8, true},
	    {12, 2, false, 8, false},
	    {32, 3, false, 2, false},
	    {32, 3, false, 4, false},
	    {32, 6, false, 4, false},
	    {64, 6, false, 2, true},
	    {64, 6, false, 8, false},
	    /* query heads must divide */
	    {14, 2, false, 4, false},
	    {28, 4, false, 8, false},
	    /* MLA: one latent cache, replicated; only the query heads count */
	    {128, 128, true, 8, true},
	    {128, 1, true, 8, true},
	    {20, 1, true, 8, false},
	    /* unknown heads: TP 1 only; sizes other than 1, 2, 4, 8 never */
	    {VF_UNSET, VF_UNSET, false, 1, true},
	    {VF_UNSET, VF_UNSET, false, 2, false},
	    {24, 24, false, 3, false},
	    {24, 24, false, 0, false},
	    {32, 32, false, 6, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (vf_tp_valid(cases[i].heads, cases[i].kv, cases[i].repl, cases[i].tp) !=
		    cases[i].ok)
			fail_msg("heads %lld, kv %lld, tp %u: want %d", (long long)cases[i].heads,
				 (long long)cases[i].kv, cases[i].tp, cases[i].ok);
}

static void test_pp_split(void **state)
{
	uint64_t p[8];

	(void)state;
	/* get_pp_indices: the remainder goes to the stages before the last */
	vf_pp_split(61, 2, p); /* DeepSeek-V3's 61 layers */
	assert_int_equal(p[0], 31);
	assert_int_equal(p[1], 30);
	vf_pp_split(80, 3, p); /* 26 each, 2 left: stages 1 and 0 */
	assert_int_equal(p[0], 27);
	assert_int_equal(p[1], 27);
	assert_int_equal(p[2], 26);
	vf_pp_split(62, 5, p); /* 12 each, 2 left: stages 3 and 2 */
	assert_int_equal(p[0], 12);
	assert_int_equal(p[1], 12);
	assert_int_equal(p[2], 13);
	assert_int_equal(p[3], 13);
	assert_int_equal(p[4], 12);
	vf_pp_split(7, 4, p);
	assert_int_equal(p[0] + p[1] + p[2] + p[3], 7);
	assert_int_equal(p[3], 1);
	vf_pp_split(32, 4, p);
	for (int i = 0; i < 4; i++)
		assert_int_equal(p[i], 8);
}

/* ---- models ---- */

struct model {
	struct vf_arch a;
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	struct vf_layers ly;
	uint64_t *kv;
};

static void load(struct model *m, const char *json, size_t len)
{
	struct vf_err err = {0};

	memset(m, 0, sizeof(*m));
	vf_workload_init(&m->w);
	m->w.engine = VF_ENGINE_VLLM;
	m->w.seq = 4096;
	if (vf_config_parse(json, len, "config.json", &m->a, &err) ||
	    vf_synth_build(&m->a, &m->a.x, VF_ENGINE_VLLM, &m->s, &err))
		fail_msg("%s", err.msg);
	/* a config's quantization_config says how its weights are stored */
	vf_wconv_from_config(&m->a, &m->a.x, &m->w.weights);
}

static void estimate(struct model *m)
{
	struct vf_err err = {0};

	vf_layers_release(&m->ly);
	vf_free(m->kv);
	if (vf_estimate(NULL, &m->s, &m->w, &m->e, &err) ||
	    vf_layers_from_synth(&m->s, &m->w.weights, &m->ly, &err))
		fail_msg("%s", err.msg);
	m->kv = vf_calloc(m->ly.n, sizeof(*m->kv));
	assert_non_null(m->kv);
	if (vf_kv_per_layer(&m->s, &m->w, &m->ly, m->kv, &err))
		fail_msg("%s", err.msg);
}

static void release(struct model *m)
{
	vf_layers_release(&m->ly);
	vf_free(m->kv);
	vf_synth_release(&m->s);
	vf_arch_release(&m->a);
}

static struct vf_cap_gpu gpu(const char *name)
{
	const struct vf_gpu_model *g = vf_gpu_catalog_find(name, NULL);
	struct vf_cap_gpu c;

	assert_non_null(g);
	c.key = g->key;
	c.name = g->name;
	c.total = g->total;
	c.bandwidth = g->bandwidth;
	c.context = vf_gpu_context_overhead(g->cc_major);
	return c;
}

static struct vf_cap_layout serve(const struct model *m, const struct vf_cap_gpu *g, bool mla)
{
	struct vf_cap_serve in = {&m->e,	 &m->ly, m->kv,	     m->a.heads,
				  m->a.kv_heads, mla,	 UINT64_MAX, VF_CAP_EFFICIENCY};
	struct vf_cap_layout L;
	struct vf_err err = {0};

	if (vf_capacity_serve(&in, g, &L, &err))
		fail_msg("%s", err.msg);
	return L;
}

static void read_model(const char *file, char **text, size_t *len)
{
	char p[600];
	struct vf_err err = {0};

	snprintf(p, sizeof(p), "%s/%s", tu_env("VF_MODELS"), file);
	if (vf_file_slurp(p, 1 << 20, text, len, &err))
		fail_msg("%s", err.msg);
}

/*
 * Llama-2-7b (its config.json, fp16) serving 4096 tokens on one L4:
 *   weights  6,738,415,616 parameters x 2 bytes            = 13,476,831,232
 *   KV       2 x 32 layers x 32 heads x 128 x 2 bytes x 4096 = 2,147,483,648
 *   context  500 MiB (Ada, cc 8.9)                          =    524,288,000
 *   L4       23034 MiB = 24,152,899,584, margin 2% = 483,057,991
 * 13,476,831,232 + 2,147,483,648 + 524,288,000 = 16,148,602,880, which
 * leaves 7.5 GB for the prefill activations below 23,669,841,593: 1 GPU.
 * Decode: 300e9 x 0.5 / (weights + KV) = 9.6 tokens/s.
 */
static void test_llama2_7b_on_l4(void **state)
{
	struct model m;
	struct vf_cap_gpu l4 = gpu("l4");
	struct vf_cap_layout L;
	char *text;
	size_t len;

	(void)state;
	read_model("meta-llama__Llama-2-7b-hf.json", &text, &len);
	load(&m, text, len);
	vf_free(text);
	estimate(&m);
	assert_int_equal(m.e.params_total, 6738415616ULL);
	assert_int_equal(m.e.weights - m.e.buffers, 13476831232ULL);
	assert_int_equal(m.e.kv_cache, 2147483648ULL);
	assert_int_equal(l4.total, 24152899584ULL);
	assert_int_equal(l4.context, 524288000ULL);
	assert_true(m.e.activations < 7000000000ULL);
	L = serve(&m, &l4, false);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 1);
	assert_int_equal(L.tp, 1);
	assert_int_equal(L.pp, 1);
	assert_int_equal(L.margin, 483057991ULL);
	assert_int_equal(L.weights, 13476831232ULL + m.e.buffers);
	assert_int_equal(L.kv_cache, 2147483648ULL);
	assert_int_equal(L.need, 16148602880ULL + m.e.buffers + m.e.activations);
	assert_int_equal(L.bytes_per_token, 13476831232ULL + m.e.buffers + 2147483648ULL);
	assert_true(fabs(L.tokens_per_s - 300e9 * 0.5 / (double)L.bytes_per_token) < 1e-9);
	assert_true(L.tokens_per_s > 9.5 && L.tokens_per_s < 9.7);
	assert_true(fabs(L.memory_utilization - 0.90) < 1e-9); /* 16.3 / 24.2 < 0.90 */

	/* the T4's 15360 MiB cannot hold 13.5 GB of weights and the cache:
	 * TP 2 halves weights and KV (32 KV heads split 16 and 16) */
	{
		struct vf_cap_gpu t4 = gpu("t4");
		L = serve(&m, &t4, false);
		assert_int_equal(L.gpus, 2);
		assert_int_equal(L.tp, 2);
		assert_int_equal(L.kv_cache, 2147483648ULL / 2);
		assert_int_equal(L.weights, (13476831232ULL + m.e.buffers + 1) / 2);
	}
	release(&m);
}

/* Llama-3.1-70B's shapes (config.json of meta-llama/Llama-3.1-70B). */
#define LLAMA70(kv)                                                                                \
	"{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", "                  \
	"\"hidden_size\": 8192, \"intermediate_size\": 28672, \"num_hidden_layers\": 80, "         \
	"\"num_attention_heads\": 64, \"num_key_value_heads\": " kv ", \"head_dim\": 128, "        \
	"\"vocab_size\": 128256, \"max_position_embeddings\": 131072, "                            \
	"\"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\"}"

/*
 * Llama-3.1-70B, bf16, 4096 tokens:
 *   per layer  q, o 8192x8192 x2 = 134,217,728; k, v 8192x1024 x2 = 16,777,216;
 *              MLP 3 x 8192 x 28672 = 704,643,072; 2 norms 16,384
 *              = 855,654,400 parameters
 *   total      80 x 855,654,400 + embed and head 2 x 128256 x 8192
 *              (2,101,346,304) + norm 8192 = 70,553,706,496 parameters
 *   weights    141,107,412,992 bytes: more than one H100 (81559 MiB =
 *              85,520,809,984); TP 2 holds 70,553,706,496 each
 *   KV         2 x 80 x 8 x 128 x 2 x 4096 = 1,342,177,280; / 2 = 671,088,640
 *   context    600 MiB = 629,145,600; margin 85,520,809,984 / 50 = 1,710,416,199
 * 70,553,706,496 + 671,088,640 + 629,145,600 = 71,853,940,736 (+ activations)
 * <= 83,810,393,785: 2 GPUs with TP 2.
 */
static void test_llama70b_on_h100(void **state)
{
	static const char cfg[] = LLAMA70("8");
	struct model m;
	struct vf_cap_gpu h100 = gpu("h100");
	struct vf_cap_layout L;

	(void)state;
	load(&m, cfg, strlen(cfg));
	estimate(&m);
	assert_int_equal(m.e.params_total, 70553706496ULL);
	assert_int_equal(m.e.weights - m.e.buffers, 141107412992ULL);
	assert_int_equal(m.e.kv_cache, 1342177280ULL);
	assert_int_equal(h100.total, 85520809984ULL);
	L = serve(&m, &h100, false);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 2);
	assert_int_equal(L.tp, 2);
	assert_int_equal(L.pp, 1);
	assert_int_equal(L.kv_cache, 671088640ULL);
	assert_int_equal(L.margin, 1710416199ULL);
	assert_int_equal(L.need, (141107412992ULL + m.e.buffers + 1) / 2 + 671088640ULL +
				     629145600ULL + m.e.activations);
	assert_true(L.need + L.margin <= h100.total);
	release(&m);
}

/*
 * The TP rule decides the layout.  On A100 40GB (40960 MiB =
 * 42,949,672,960) Llama-3.1-70B needs 4 GPUs: TP 4 with 8 KV heads.  With 6
 * KV heads TP 4 is not allowed (6 % 4), nor TP 8 (8 % 6), so the same 4 GPUs
 * are TP 2 x PP 2:
 *   per layer  k, v 8192x768 x2 = 12,582,912: 851,460,096 parameters,
 *              1,702,920,192 bytes; 80 layers, 40 per stage
 *   stage 0    embed 128256 x 8192 x 2 bytes (2,101,346,304) + 40 layers
 *              (68,116,807,680) = 70,218,153,984 bytes,
 *              of which each of the 2 TP ranks holds half: ~35.1 GB
 *   3 GPUs (PP 3, TP 1): 27 layers = 45,978,845,184 bytes alone: too many
 */
static void test_tp_rule_forces_pipeline(void **state)
{
	static const char cfg8[] = LLAMA70("8"), cfg6[] = LLAMA70("6");
	struct model m;
	struct vf_cap_gpu a100 = gpu("a100-40g");
	struct vf_cap_layout L;
	uint64_t stage0 = 2 * 1050673152ULL + 40 * 1702920192ULL;

	(void)state;
	assert_int_equal(a100.total, 42949672960ULL);
	load(&m, cfg8, strlen(cfg8));
	estimate(&m);
	L = serve(&m, &a100, false);
	assert_int_equal(L.gpus, 4);
	assert_int_equal(L.tp, 4);
	assert_int_equal(L.pp, 1);
	release(&m);

	load(&m, cfg6, strlen(cfg6));
	estimate(&m);
	assert_int_equal(m.e.params_total, 80ULL * 851460096 + 2101346304 + 8192);
	assert_false(vf_tp_valid(64, 6, false, 4));
	L = serve(&m, &a100, false);
	assert_int_equal(L.gpus, 4);
	assert_int_equal(L.tp, 2);
	assert_int_equal(L.pp, 2);
	/* the fuller stage (the last: head and final norm) over 2 ranks */
	assert_true(L.weights >= stage0 / 2 && L.weights <= stage0 / 2 + 16384 + m.e.buffers);
	/* PP over stages: a sequence reads both stages in turn, each split 2 ways */
	assert_true(L.bytes_per_token >= m.e.weights / 2);
	release(&m);
}

/* DeepSeek-V3 (its config.json: MLA, 256 routed experts, fp8 weights). */
static const char deepseek_v3[] =
    "{\"architectures\": [\"DeepseekV3ForCausalLM\"], \"model_type\": \"deepseek_v3\", "
    "\"first_k_dense_replace\": 3, \"hidden_act\": \"silu\", \"hidden_size\": 7168, "
    "\"intermediate_size\": 18432, \"kv_lora_rank\": 512, \"max_position_embeddings\": 163840, "
    "\"moe_intermediate_size\": 2048, \"moe_layer_freq\": 1, \"n_group\": 8, "
    "\"n_routed_experts\": 256, \"n_shared_experts\": 1, \"norm_topk_prob\": true, "
    "\"num_attention_heads\": 128, \"num_experts_per_tok\": 8, \"num_hidden_layers\": 61, "
    "\"num_key_value_heads\": 128, \"num_nextn_predict_layers\": 1, \"q_lora_rank\": 1536, "
    "\"qk_nope_head_dim\": 128, \"qk_rope_head_dim\": 64, \"quantization_config\": "
    "{\"activation_scheme\": \"dynamic\", \"fmt\": \"e4m3\", \"quant_method\": \"fp8\", "
    "\"weight_block_size\": [128, 128]}, \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": "
    "false, \"topk_group\": 4, \"topk_method\": \"noaux_tc\", \"torch_dtype\": \"bfloat16\", "
    "\"v_head_dim\": 128, \"vocab_size\": 129280}";

/*
 * DeepSeek-V3 in fp8 needs more than one node of H100s.  Its weights are
 * some 673 GB (671e9 parameters, nearly all in fp8 block-scaled matrices);
 * one node of 8 holds at most 8 x (85,520,809,984 - 1,710,416,199 margin -
 * 629,145,600 context - activations - the replicated latent cache), about
 * 652 GB.  Two nodes, TP 8 x PP 2, hold 42 GB a GPU.  An H200 node
 * (143771 MiB each, 1.2 TB in all) is enough.
 * The latent cache: (512 + 64) x 2 bytes x 61 layers x 4096 tokens, the
 * same on every TP rank.
 */
static void test_deepseek_v3_needs_two_nodes(void **state)
{
	struct model m;
	struct vf_cap_gpu h100 = gpu("h100"), h200 = gpu("h200");
	struct vf_cap_layout L;
	uint64_t per_node_max;
	double active;

	(void)state;
	load(&m, deepseek_v3, strlen(deepseek_v3));
	assert_int_equal(m.w.weights.quant, VF_WQ_FP8);
	estimate(&m);
	assert_true(m.e.weights > 660000000000ULL && m.e.weights < 700000000000ULL);
	assert_true(m.e.kv_cache >= 576ULL * 2 * 61 * 4096);
	per_node_max =
	    8 * (h100.total - 1710416199ULL - h100.context - m.e.activations - m.e.kv_cache);
	assert_true(m.e.weights > per_node_max);
	L = serve(&m, &h100, true);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 16);
	assert_int_equal(L.nodes, 2);
	assert_int_equal(L.tp, 8);
	assert_int_equal(L.pp, 2);
	/* the latent cache is not divided by TP: a stage holds its layers' whole */
	assert_true(L.kv_cache > m.e.kv_cache / 4);
	/* decode reads the active experts only: ~37.6e9 of 671e9 parameters */
	active = (double)m.e.params_active / (double)m.e.params_total;
	assert_true(active > 0.05 && active < 0.06);
	assert_true(fabs((double)L.bytes_per_token -
			 ((double)m.e.weights * active / 8 + (double)m.e.kv_cache)) <
		    0.001 * (double)L.bytes_per_token);
	L = serve(&m, &h200, true);
	assert_true(L.fits);
	assert_int_equal(L.nodes, 1);
	assert_true(L.gpus <= 8);
	release(&m);
}

/*
 * Training Llama-2-7b with mixed-precision AdamW under ZeRO-3: 16 bytes a
 * parameter of model states (memory.c), 107,814,649,856 bytes; more than an
 * H100 alone, half of it (53.9 GB) plus activations fits on each of 2.
 */
static void test_zero3_training(void **state)
{
	struct model m;
	struct vf_cap_gpu h100 = gpu("h100"), l4 = gpu("l4");
	struct vf_cap_layout L, Lo;
	struct vf_err err = {0};
	char *text;
	size_t len;
	struct vf_cap_train in;

	(void)state;
	read_model("meta-llama__Llama-2-7b-hf.json", &text, &len);
	load(&m, text, len);
	vf_free(text);
	m.w.engine = VF_ENGINE_HF;
	m.w.train = true;
	m.w.seq = 2048;
	in = (struct vf_cap_train){NULL, &m.s, &m.w, VF_OFFLOAD_NONE, UINT64_MAX};
	assert_int_equal(vf_capacity_train(&in, &h100, &L, &err), VF_OK);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 2);
	assert_int_equal(L.dp, 2);
	/* 2 bytes of gradients and 12 of master weights and moments, halved */
	assert_int_equal(L.gradients, 6738415616ULL);
	assert_int_equal(L.optimizer, 40430493696ULL);
	/* offloading the optimizer to CPU memory needs fewer L4s */
	assert_int_equal(vf_capacity_train(&in, &l4, &L, &err), VF_OK);
	in.offload = VF_OFFLOAD_OPTIMIZER;
	assert_int_equal(vf_capacity_train(&in, &l4, &Lo, &err), VF_OK);
	assert_true(Lo.fits && L.fits);
	assert_true(Lo.gpus < L.gpus);
	assert_int_equal(Lo.optimizer, 0);
	assert_int_equal(Lo.gradients, 0);
	assert_true(Lo.host_per_node > 0);
	release(&m);
}

/* A GPU no count of which could hold the model, and unknown bandwidth. */
static void test_no_fit_and_no_speed(void **state)
{
	static const char cfg[] = LLAMA70("8");
	struct model m;
	struct vf_cap_gpu tiny = {"1GiB", "custom 1GiB", UINT64_C(1) << 30, 0, 512 * MIB};
	struct vf_cap_gpu big = {"200GiB", "custom 200GiB", UINT64_C(200) << 30, 0, 512 * MIB};
	struct vf_cap_layout L;

	(void)state;
	load(&m, cfg, strlen(cfg));
	estimate(&m);
	L = serve(&m, &tiny, false);
	assert_false(L.fits); /* the 512 MiB context and 1 GiB of activations alone */
	L = serve(&m, &big, false);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 1);
	assert_true(L.tokens_per_s == 0); /* no bandwidth: no speed */
	release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tp_valid),
	    cmocka_unit_test(test_pp_split),
	    cmocka_unit_test(test_llama2_7b_on_l4),
	    cmocka_unit_test(test_llama70b_on_h100),
	    cmocka_unit_test(test_tp_rule_forces_pipeline),
	    cmocka_unit_test(test_deepseek_v3_needs_two_nodes),
	    cmocka_unit_test(test_zero3_training),
	    cmocka_unit_test(test_no_fit_and_no_speed),
	};

	vf_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
