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

static struct vf_cap_layout serve_at(const struct model *m, const struct vf_cap_gpu *g, bool mla,
				     unsigned tp, uint64_t batch, uint64_t mml)
{
	struct vf_cap_serve in = {
	    .est = &m->e,
	    .s = &m->s,
	    .ly = &m->ly,
	    .kv = m->kv,
	    .kv_token = m->e.kv_per_token / m->w.batch,
	    .heads = m->a.heads,
	    .kv_heads = m->a.kv_heads,
	    .replicated_kv = mla,
	    .efficiency = VF_CAP_EFFICIENCY,
	    .vllm = {.version = VF_VLLM_V0, .max_model_len = mml, .graphs = UINT64_MAX},
	    .batch = batch,
	    .tp = tp};
	struct vf_cap_layout L;
	struct vf_err err = {0};

	if (vf_capacity_serve(&in, g, &L, &err))
		fail_msg("%s", err.msg);
	return L;
}

static struct vf_cap_layout serve(const struct model *m, const struct vf_cap_gpu *g, bool mla)
{
	return serve_at(m, g, mla, 0, m->w.batch, m->w.seq + m->w.gen);
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
 * Llama-2-7b (its config.json, fp16) served by vLLM 0.7 (V0) on one L4 at
 * max-model-len 4096:
 *   budget   0.90 x 24,152,899,584                       = 21,737,609,625
 *   weights  6,738,415,616 x 2                           = 13,476,831,232 (+ buffers)
 *   step     max(4096, 2048) = 4096 tokens (no chunked prefill <= 32K), 256 seqs
 *   act      MLP phase of a block: 3 x 4096 x 4096 x 2 (residual, hidden,
 *            normed) 100,663,296 + gate_up 4096 x 22016 x 2 180,355,072 +
 *            act 4096 x 11008 x 2 90,177,536 + down 4096 x 4096 x 2
 *            33,554,432                                  =    404,750,336
 *            (attention 268,435,456; head 2 x 4096 x 4096 x 2 + 256 x 32000 x
 *            4 x 3 + 256 x 32000 x 2 = 181,796,864)
 *   block    2 x 32 x 32 x 128 x 2 bytes x 16 tokens     =      8,388,608
 *   blocks   (21,737,609,625 - 13,476,831,232 - 404,750,336 - buffers) / 8,388,608
 *            = 936 (buffers: the rotary inv_freq, 256 KiB here or less)
 *   concurrency 936 x 16 / 4096 = 3.66; whole sequences 936 / 256 = 3.
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
	assert_int_equal(m.e.kv_per_token, 524288ULL);
	assert_int_equal(l4.total, 24152899584ULL);
	assert_int_equal(vf_vllm_activation(&m.s, 2, 4096, 256, 1), 404750336ULL);
	L = serve(&m, &l4, false);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 1);
	assert_int_equal(L.tp, 1);
	assert_int_equal(L.batched_tokens, 4096);
	assert_int_equal(L.num_seqs, 256);
	assert_int_equal(L.rank.budget, 21737609625ULL);
	assert_int_equal(L.rank.block_bytes, 8388608ULL);
	assert_int_equal(L.activations, 404750336ULL);
	assert_int_equal(L.kv_blocks,
			 (21737609625ULL - 13476831232ULL - m.e.buffers - 404750336ULL) / 8388608);
	assert_int_equal(L.kv_blocks, 936);
	assert_true(fabs(L.concurrency - 936.0 * 16 / 4096) < 1e-9);
	assert_int_equal(L.max_batch, 3);
	/* four sequences at once do not fit one L4; TP 2 halves weights and KV */
	L = serve_at(&m, &l4, false, 0, 4, 4096);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 2);
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
 * Llama-3.1-70B, bf16, on H100 SXM (85,520,809,984 bytes; budget 0.90 x =
 * 76,968,728,985), max-model-len 8192:
 *   weights   70,553,706,496 x 2 = 141,107,412,992: TP 2 holds 70,553,706,496
 *             a GPU, TP 4 35,276,853,248
 *   step      8192 tokens; MLP phase per rank: 3 x 8192 x 8192 x 2
 *             (402,653,184) + (gate_up 8192 x 57344 x 2 + act 8192 x 28672 x
 *             2) / TP + down 8192 x 8192 x 2 (134,217,728): TP 2 1,241,513,984,
 *             TP 4 889,192,448
 *   non-torch 256 MiB (268,435,456) on each of several GPUs
 *   KV        2 x 80 x 8 x 128 x 2 = 327,680 B/token / TP; block x 16:
 *             TP 2 2,621,440, TP 4 1,310,720
 *   TP 2 blocks (76,968,728,985 - 70,553,706,496 - 1,241,513,984 - 268,435,456)
 *             / 2,621,440 = 1,871 less the
 *             buffers' share (concurrency 1,871 x 16 / 8192 = 3.65)
 *   TP 4 blocks (76,968,728,985 - 35,276,853,248 - 889,192,448 - 268,435,456)
 *             / 1,310,720 = 30,925 (concurrency 60.4)
 */
static void test_llama70b_on_h100(void **state)
{
	static const char cfg[] = LLAMA70("8");
	struct model m;
	struct vf_cap_gpu h100 = gpu("h100");
	struct vf_cap_layout L;
	uint64_t w2, w4;

	(void)state;
	load(&m, cfg, strlen(cfg));
	m.w.seq = 8192;
	estimate(&m);
	assert_int_equal(m.e.params_total, 70553706496ULL);
	assert_int_equal(m.e.weights - m.e.buffers, 141107412992ULL);
	assert_int_equal(h100.total, 85520809984ULL);
	w2 = (m.e.weights + 1) / 2;
	w4 = (m.e.weights + 3) / 4;
	L = serve_at(&m, &h100, false, 2, 1, 8192);
	assert_true(L.fits);
	assert_int_equal(L.rank.budget, 76968728985ULL);
	assert_int_equal(L.activations, 1241513984ULL);
	assert_int_equal(L.rank.block_bytes, 2621440ULL);
	assert_int_equal(L.weights, w2);
	assert_int_equal(L.kv_blocks,
			 (76968728985ULL - w2 - 1241513984ULL - 268435456ULL) / 2621440);
	assert_true(L.concurrency > 3.6 && L.concurrency < 3.7);
	L = serve_at(&m, &h100, false, 4, 1, 8192);
	assert_true(L.fits);
	assert_int_equal(L.activations, 889192448ULL);
	assert_int_equal(L.rank.block_bytes, 1310720ULL);
	assert_int_equal(L.kv_blocks,
			 (76968728985ULL - w4 - 889192448ULL - 268435456ULL) / 1310720);
	assert_true(L.concurrency > 60 && L.concurrency < 61);
	/* the search: one H100 cannot hold the weights; TP 2 is the fewest */
	L = serve_at(&m, &h100, false, 0, 1, 8192);
	assert_int_equal(L.gpus, 2);
	assert_int_equal(L.tp, 2);
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
 * DeepSeek-V3 fp8 on one node of 8 H200 (150,755,917,824 bytes; budget 0.90 x
 * = 135,680,326,041), batch 16 x max-model-len 32768, TP 8:
 *   weights   ~673 GB / 8 = ~84.1 GB a GPU
 *   step      32768 tokens (V0: 32768 is not > 32K, no chunked prefill);
 *             a MoE block on a rank: 3 x 32768 x 7168 x 2 = 1,409,286,144;
 *             fused_moe caches 32768 x 8 x 4096 x 2 / 8 = 268,435,456,
 *             32768 x 8 x 2048 x 2 / 8 = 134,217,728, 32768 x 8 x 7168 x 2 =
 *             3,758,096,384, router 32768 x 256 x 4 = 33,554,432; down
 *             32768 x 7168 x 2 = 469,762,048: in all 6,073,352,192
 *   non-torch 268,435,456
 *   KV        latent (512 + 64) x 61 layers x 2 bytes = 70,272 B/token on
 *             every rank; block 1,124,352
 *   blocks    (135,679,338,086 - 84.1e9 - 6,073,352,192 - 268,435,456) /
 *             1,124,352 = ~40,190: 643k tokens, concurrency ~19.6 at 32768,
 *             19 whole sequences (2048 blocks each): batch 16 fits.
 * Before (activations of batch x seq, not split, not bounded by the step)
 * it did not fit in 512 GPUs.
 */
static void test_deepseek_v3_h200_node(void **state)
{
	struct model m;
	struct vf_cap_gpu h200 = gpu("h200"), h100 = gpu("h100");
	struct vf_cap_layout L;
	uint64_t w8;

	(void)state;
	load(&m, deepseek_v3, strlen(deepseek_v3));
	assert_int_equal(m.w.weights.quant, VF_WQ_FP8);
	m.w.seq = 32768;
	m.w.batch = 16;
	estimate(&m);
	assert_true(m.e.weights > 660000000000ULL && m.e.weights < 700000000000ULL);
	assert_int_equal(m.e.kv_per_token / 16, 70272ULL);
	assert_int_equal(h200.total, 150754820096ULL);
	w8 = (m.e.weights + 7) / 8;
	L = serve_at(&m, &h200, true, 8, 16, 32768);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 8);
	assert_int_equal(L.nodes, 1);
	assert_int_equal(L.batched_tokens, 32768);
	assert_int_equal(L.rank.budget, 135679338086ULL);
	assert_int_equal(L.activations, 6073352192ULL);
	assert_int_equal(L.rank.nontorch, 268435456ULL);
	assert_int_equal(L.rank.block_bytes, 1124352ULL);
	assert_true(L.weights >= w8 && L.weights <= w8 + 8);
	assert_int_equal(L.kv_blocks,
			 (135679338086ULL - L.weights - 6073352192ULL - 268435456ULL) / 1124352);
	assert_true(L.concurrency > 19 && L.concurrency < 20.5);
	assert_int_equal(L.max_batch, L.kv_blocks / 2048);
	assert_true(L.max_batch >= 16);
	/* the KV the batch takes: 16 x 2048 blocks */
	assert_int_equal(L.kv_cache, 16ULL * 2048 * 1124352);
	/* H100s: the weights alone exceed a node's budget (8 x 76.97 GB); two
	 * nodes, TP 8 x PP 2 */
	L = serve_at(&m, &h100, true, 0, 16, 32768);
	assert_true(L.fits);
	assert_int_equal(L.nodes, 2);
	assert_int_equal(L.tp, 8);
	assert_int_equal(L.pp, 2);
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
	m.w.grad_ckpt = true; /* without it 2048 tokens' activations exceed an L4 */
	in = (struct vf_cap_train){NULL, &m.s, &m.w, VF_OFFLOAD_NONE, UINT64_MAX};
	assert_int_equal(vf_capacity_train(&in, &h100, &L, &err), VF_OK);
	assert_true(L.fits);
	assert_int_equal(L.gpus, 2);
	assert_int_equal(L.dp, 2);
	/* Trainer-style mixed precision (planner/training.c): fp32 gradients (4
	 * bytes) and AdamW's two fp32 moments (8 bytes), halved over 2 GPUs:
	 * 6,738,415,616 x 4 / 2 and x 8 / 2 */
	assert_int_equal(L.gradients, 13476831232ULL);
	assert_int_equal(L.optimizer, 26953662464ULL);
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
	    cmocka_unit_test(test_deepseek_v3_h200_node),
	    cmocka_unit_test(test_zero3_training),
	    cmocka_unit_test(test_no_fit_and_no_speed),
	};

	vf_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
