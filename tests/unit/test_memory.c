/*
 * test_memory.c - KV cache, activations, logits and training memory against
 * arithmetic written out here (memory-model.md's formulas, Korthikanti et al.
 * 2022 for activations, PEFT's printed trainable counts for LoRA).
 */
#include "tests/unit/testutil.h"

#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

static void synth(const char *json, enum vf_engine e, struct vf_synth *s)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};

	if (vf_config_parse(json, strlen(json), "test.json", &a, &err) ||
	    vf_synth_build(&a, &a.x, e, s, &err))
		fail_msg("%s", err.msg);
	vf_arch_release(&a);
}

static void estimate(const struct vf_synth *s, const struct vf_workload *w, struct vf_estimate *e)
{
	struct vf_err err = {0};

	if (vf_estimate(NULL, s, w, e, &err))
		fail_msg("%s", err.msg);
}

#define GIB (UINT64_C(1) << 30)

static const char llama3_8b[] =
    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, "
    "\"intermediate_size\": 14336, \"num_hidden_layers\": 32, \"num_attention_heads\": 32, "
    "\"num_key_value_heads\": 8, \"vocab_size\": 128256, \"max_position_embeddings\": 8192, "
    "\"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\"}";

static const char llama2_7b[] =
    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, "
    "\"intermediate_size\": 11008, \"num_hidden_layers\": 32, \"num_attention_heads\": 32, "
    "\"num_key_value_heads\": 32, \"vocab_size\": 32000, \"max_position_embeddings\": 4096, "
    "\"tie_word_embeddings\": false, \"torch_dtype\": \"float16\"}";

/* ---- KV cache ---- */

static void test_kv_llama3_8b(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;

	(void)state;
	synth(llama3_8b, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.seq = 8192;
	estimate(&s, &w, &e);
	/* 2 * L * kv * d * bytes = 2 * 32 * 8 * 128 * 2 (memory-model.md) */
	assert_int_equal(e.kv_per_token, 131072);
	assert_int_equal(e.kv_cache, GIB); /* 1 GiB per 8K tokens */
	/* batch 4, 8192 + 100 tokens each */
	w.batch = 4;
	w.gen = 100;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 131072ULL * 8292 * 4);
	/* fp8 KV halves it; ggml q8_0 / q4_0 rows of 128: 4 blocks of 34 / 18 bytes */
	w.batch = 1;
	w.gen = 0;
	w.kv_dtype = VF_DT_F8_E4M3;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_per_token, 65536);
	w.kv_dtype = VF_DT_Q8_0;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_per_token, 32 * 8 * 2 * (4 * 34));
	w.kv_dtype = VF_DT_Q4_0;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_per_token, 32 * 8 * 2 * (4 * 18));
	/* vLLM pages whole 16-token blocks: 100 tokens take 112 */
	w.kv_dtype = VF_DT_UNKNOWN;
	w.engine = VF_ENGINE_VLLM;
	w.seq = 100;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 131072ULL * 112);
	vf_synth_release(&s);
}

static void test_kv_sliding(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	const uint64_t mistral_tok = 2 * 8 * 128 * 2; /* per layer per token, bf16 */

	(void)state;
	synth("{\"model_type\": \"mistral\", \"hidden_size\": 4096, \"intermediate_size\": 14336, "
	      "\"num_hidden_layers\": 32, \"num_attention_heads\": 32, \"num_key_value_heads\": 8, "
	      "\"vocab_size\": 32000, \"sliding_window\": 4096, \"max_position_embeddings\": "
	      "32768, \"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.seq = 8192;
	/* Mistral v0.1: every layer keeps the last 4096 tokens */
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 32 * mistral_tok * 4096);
	/* transformers 4.36 keeps them all, except on its flash-attention path */
	w.engine = VF_ENGINE_HF436;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 32 * mistral_tok * 8192);
	w.attn = VF_IMPL_FLASH;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 32 * mistral_tok * 4096);
	vf_synth_release(&s);

	/* Gemma-2 (9b): even layers local (layer 0 local), window 4096 */
	synth("{\"model_type\": \"gemma2\", \"hidden_size\": 3584, \"intermediate_size\": 14336, "
	      "\"num_hidden_layers\": 42, \"num_attention_heads\": 16, \"num_key_value_heads\": 8, "
	      "\"head_dim\": 256, \"vocab_size\": 256000, \"sliding_window\": 4096, "
	      "\"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	assert_int_equal(s.blocks[0].attn, VF_ATTN_SLIDING);
	assert_int_equal(s.blocks[1].attn, VF_ATTN_FULL);
	vf_workload_init(&w);
	w.seq = 8192;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, (21ULL * 4096 + 21ULL * 8192) * (2 * 8 * 256 * 2));
	vf_synth_release(&s);

	/* Gemma-3-1b: every 6th layer global (5, 11, 17, 23), window 512 */
	synth("{\"model_type\": \"gemma3_text\", \"hidden_size\": 1152, \"intermediate_size\": "
	      "6912, \"num_hidden_layers\": 26, \"num_attention_heads\": 4, "
	      "\"num_key_value_heads\": 1, \"head_dim\": 256, \"vocab_size\": 262144, "
	      "\"sliding_window\": 512, \"sliding_window_pattern\": 6, \"torch_dtype\": "
	      "\"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	w.seq = 4096;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, (4ULL * 4096 + 22ULL * 512) * (2 * 1 * 256 * 2));
	vf_synth_release(&s);

	/* Qwen2.5 carries a sliding_window but use_sliding_window false: full */
	synth("{\"model_type\": \"qwen2\", \"hidden_size\": 3584, \"intermediate_size\": 18944, "
	      "\"num_hidden_layers\": 28, \"num_attention_heads\": 28, \"num_key_value_heads\": 4, "
	      "\"vocab_size\": 152064, \"sliding_window\": 4096, \"use_sliding_window\": false, "
	      "\"max_window_layers\": 28, \"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	w.seq = 8192;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 28ULL * 8192 * (2 * 4 * 128 * 2));
	vf_synth_release(&s);

	/* layer_types, when given, decide */
	synth("{\"model_type\": \"qwen3\", \"hidden_size\": 64, \"intermediate_size\": 96, "
	      "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, "
	      "\"head_dim\": 16, \"vocab_size\": 100, \"sliding_window\": 128, \"layer_types\": "
	      "[\"sliding_attention\", \"full_attention\"], \"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	w.seq = 1000;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, (128ULL + 1000) * (2 * 2 * 16 * 2));
	vf_synth_release(&s);
}

static void test_kv_mla_mqa_cross_linear(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	uint64_t hf_tok, latent_tok;

	(void)state;
	/* DeepSeek-V3: transformers caches per-head K (nope + rope = 192) and V (128)
	 * for 128 heads; latent engines kv_lora_rank + rope = 576 values */
	synth("{\"model_type\": \"deepseek_v3\", \"hidden_size\": 7168, \"intermediate_size\": "
	      "18432, \"moe_intermediate_size\": 2048, \"num_hidden_layers\": 61, "
	      "\"num_attention_heads\": 128, \"num_key_value_heads\": 128, \"vocab_size\": 129280, "
	      "\"q_lora_rank\": 1536, \"kv_lora_rank\": 512, \"qk_nope_head_dim\": 128, "
	      "\"qk_rope_head_dim\": 64, \"v_head_dim\": 128, \"n_routed_experts\": 256, "
	      "\"n_shared_experts\": 1, \"num_experts_per_tok\": 8, \"first_k_dense_replace\": 3, "
	      "\"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	estimate(&s, &w, &e);
	hf_tok = 61ULL * 128 * (192 + 128) * 2;
	assert_int_equal(e.kv_per_token, hf_tok);
	w.engine = VF_ENGINE_VLLM;
	estimate(&s, &w, &e);
	latent_tok = 61ULL * 576 * 2;
	assert_int_equal(e.kv_per_token, latent_tok);
	assert_true(hf_tok / latent_tok == 71); /* "~71x more" */
	vf_synth_release(&s);

	/* Falcon-7b: multi-query, one K/V head of 64 */
	synth("{\"model_type\": \"falcon\", \"hidden_size\": 4544, \"num_hidden_layers\": 32, "
	      "\"num_attention_heads\": 71, \"vocab_size\": 65024, \"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_per_token, 32 * 1 * 64 * 2 * 2);
	vf_synth_release(&s);

	/* t5-small: each decoder layer caches its own tokens and the encoder's
	 * (cross-attention); the encoder caches nothing.  fp32. */
	synth(
	    "{\"model_type\": \"t5\", \"architectures\": [\"T5ForConditionalGeneration\"], "
	    "\"d_model\": 512, \"d_kv\": 64, \"d_ff\": 2048, \"num_layers\": 6, \"num_heads\": 8, "
	    "\"vocab_size\": 32128}",
	    VF_ENGINE_HF, &s);
	w.seq = 512;
	w.gen = 32;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, 6ULL * (32 + 512) * 8 * 64 * 2 * 4);
	vf_synth_release(&s);

	/* linear-attention layers keep a fixed state per sequence (Qwen3-Next's
	 * gated DeltaNet: v_heads * k_dim * v_dim + conv channels * kernel).
	 * qwen3_next itself has no emitter and is refused from a config alone;
	 * its layer_types on a qwen3 config reach the same KV arithmetic. */
	synth("{\"model_type\": \"qwen3\", \"hidden_size\": 64, \"intermediate_size\": 96, "
	      "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, "
	      "\"head_dim\": 16, \"vocab_size\": 100, \"layer_types\": [\"linear_attention\", "
	      "\"full_attention\"], \"linear_num_key_heads\": 2, \"linear_num_value_heads\": 4, "
	      "\"linear_key_head_dim\": 8, \"linear_value_head_dim\": 8, "
	      "\"linear_conv_kernel_dim\": 4, \"torch_dtype\": \"bfloat16\"}",
	      VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.seq = 1000;
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, (4ULL * 8 * 8 + (2ULL * 2 * 8 + 4 * 8) * 4) * 2 +
					 1000ULL * 2 * 2 * 16 * 2);
	w.seq = 2000; /* the linear layer's state does not grow */
	estimate(&s, &w, &e);
	assert_int_equal(e.kv_cache, (4ULL * 8 * 8 + (2ULL * 2 * 8 + 4 * 8) * 4) * 2 +
					 2000ULL * 2 * 2 * 16 * 2);
	vf_synth_release(&s);
}

static void test_kv_per_layer(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_layers ly;
	struct vf_err err = {0};
	uint64_t kv[64], sum = 0;

	(void)state;
	synth(llama3_8b, VF_ENGINE_HF, &s);
	assert_int_equal(vf_layers_from_synth(&s, NULL, &ly, &err), VF_OK);
	vf_workload_init(&w);
	w.seq = 1000;
	w.batch = 2;
	assert_true(ly.n <= 64);
	assert_int_equal(vf_kv_per_layer(&s, &w, &ly, kv, &err), VF_OK);
	for (size_t i = 0; i < ly.n; i++) {
		if (ly.v[i].kind == VF_LAYER_BLOCK)
			assert_int_equal(kv[i], 2ULL * 1000 * 4096); /* 131072 / 32 per token */
		else
			assert_int_equal(kv[i], 0);
		sum += kv[i];
	}
	assert_int_equal(sum, 131072ULL * 1000 * 2);
	vf_layers_release(&ly);
	vf_synth_release(&s);
}

/* ---- activations ---- */

/* A GPT block as Korthikanti et al. 2022 count it: LayerNorm, fused GELU, dropout 0.1. */
static const char gpt_block[] =
    "{\"model_type\": \"gpt2\", \"n_embd\": 1024, \"n_layer\": 2, \"n_head\": 16, \"n_positions\": "
    "2048, \"vocab_size\": 1000, \"activation_function\": \"gelu\", \"attn_pdrop\": 0.1, "
    "\"resid_pdrop\": 0.1, \"embd_pdrop\": 0.1}";

static void test_korthikanti(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	const uint64_t sq = 512, b = 2, h = 1024, a = 16, T = sq * b;
	/* s*b*h*(34 + 5*a*s/h) bytes in 16-bit, plus what the paper leaves out as
	 * small: LayerNorm's fp32 mean and rstd, 8 bytes a token, for 2 norms */
	const uint64_t paper = T * h * 34 + 5 * a * sq * sq * b, stats = 2 * 8 * T;

	(void)state;
	synth(gpt_block, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	w.precision = VF_PREC_PURE16;
	w.attn = VF_IMPL_EAGER;
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_F16, b, sq),
			 paper + stats);
	/* flash/SDPA kernels drop the 5as/h term; they keep their output (2sbh) and
	 * the fp32 logsumexp of every head and token */
	w.attn = VF_IMPL_SDPA;
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_F16, b, sq),
			 T * h * (34 + 2) + b * a * sq * 4 + stats);
	vf_synth_release(&s);

	/* transformers' GPT-2 uses gelu_new, a Python tanh formula that saves x,
	 * tanh, 0.5x and 1+tanh: three more 4h-wide tensors, 24sbh in 16-bit */
	synth("{\"model_type\": \"gpt2\", \"n_embd\": 1024, \"n_layer\": 2, \"n_head\": 16, "
	      "\"n_positions\": 2048, \"vocab_size\": 1000}",
	      VF_ENGINE_HF, &s);
	w.attn = VF_IMPL_EAGER;
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_F16, b, sq),
			 T * h * (34 + 24) + 5 * a * sq * sq * b + stats);
	vf_synth_release(&s);
}

static void test_llama_block_saved(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	const uint64_t sq = 2048, b = 1, h = 4096, a = 32, I = 14336, T = sq * b;

	(void)state;
	synth(llama3_8b, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	/* bf16, SDPA.  Two RMSNorms (fp32 input copy 4 + normalized 2) = 12Th; the
	 * q/k/v input 2Th; q and K, V repeated to 32 heads 6Th; kernel output 2Th and
	 * logsumexp; o_proj input 2Th; MLP input 2Th; SwiGLU: silu input, silu output,
	 * up, product = 4 * 2TI */
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_BF16, b, sq),
			 T * h * (12 + 2 + 6 + 2 + 2 + 2) + 8 * T * I + 4 * b * a * sq);
	/* flash attention keeps K and V at their 8 heads: 2Th + 2 * 2T*8*128 */
	w.attn = VF_IMPL_FLASH;
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_BF16, b, sq),
			 T * h * (12 + 2 + 2 + 2 + 2 + 2) + 2 * 2 * T * 8 * 128 + 8 * T * I +
			     4 * b * a * sq);
	/* LoRA on q_proj and v_proj: o_proj, gate/up and down inputs are not kept
	 * (frozen matrices need no input for their gradient); lora_B keeps
	 * lora_A's r-wide output, 2 adapters of r = 16 */
	w.attn = VF_IMPL_SDPA;
	w.lora_rank = 16;
	assert_int_equal(vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_BF16, b, sq),
			 T * h * (12 + 2 + 6 + 2) + 6 * T * I + 4 * b * a * sq + 2 * T * 16 * 2);
	vf_synth_release(&s);
}

static void test_prefill_eager(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	const uint64_t sq = 4096, b = 1, h = 4096, a = 32, T = sq * b, p = 2;
	uint64_t attn;

	(void)state;
	synth(llama2_7b, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.attn = VF_IMPL_EAGER;
	/* residual stream 2Th, normed input Th, q/k/v 3Th, rotated q and k 2Th, the
	 * output and its transposed copy 2Th; scores: matmul result, fp32 softmax and
	 * its fp16 cast (2 + 4 + 2 bytes each, memory-model.md "~8 B per element"),
	 * and the b*s*s 4-D mask */
	attn = T * h * p * (2 + 1 + 3 + 2 + 2) + b * a * sq * sq * 8 + b * sq * sq * p;
	assert_int_equal(vf_block_prefill_bytes(&s, &s.blocks[0], &w, VF_DT_F16, b, sq, sq), attn);
	vf_synth_release(&s);
}

static void test_logits(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	const uint64_t V = 32000;

	(void)state;
	synth(llama2_7b, VF_ENGINE_HF436, &s);
	vf_workload_init(&w);
	w.batch = 2;
	w.seq = 1024;
	/* transformers 4.36: every position, logits.float() beside the fp16 ones */
	w.engine = VF_ENGINE_HF436;
	estimate(&s, &w, &e);
	assert_int_equal(e.logits, 2ULL * 1024 * V * (2 + 4));
	/* current transformers' generate: the last position, copied to fp32 */
	w.engine = VF_ENGINE_HF;
	estimate(&s, &w, &e);
	assert_int_equal(e.logits, 2ULL * V * (2 + 4));
	/* training loss: 4.36 holds fp32 logits, the shifted copy and log-softmax
	 * (12 B); now fp16 logits + fp32 log-softmax and its gradient (2 + 8) */
	w.train = true;
	w.engine = VF_ENGINE_HF436;
	estimate(&s, &w, &e);
	assert_int_equal(e.logits, 2ULL * 1024 * V * 12);
	w.engine = VF_ENGINE_HF;
	estimate(&s, &w, &e);
	assert_int_equal(e.logits, 2ULL * 1024 * V * 10);
	vf_synth_release(&s);
}

/* ---- training ---- */

static const char tiny[] =
    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 256, "
    "\"intermediate_size\": 512, \"num_hidden_layers\": 4, \"num_attention_heads\": 4, "
    "\"vocab_size\": 1000, \"torch_dtype\": \"bfloat16\"}";

static void test_training_bytes_per_param(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	uint64_t P, buf = 64 / 2 * 4; /* model.rotary_emb.inv_freq: head_dim/2 fp32 */

	(void)state;
	synth(tiny, VF_ENGINE_HF, &s);
	P = s.params_total;
	vf_workload_init(&w);
	w.train = true;
	/* mixed precision as the HF Trainer runs it (bf16=True): fp32 weights,
	 * fp32 gradients, AdamW's fp32 moments, no master copy: 4 + 4 + 8 */
	estimate(&s, &w, &e);
	assert_int_equal(e.buffers, buf);
	assert_int_equal(e.weights - e.buffers, 4 * P);
	assert_int_equal(e.gradients, 4 * P);
	assert_int_equal(e.optimizer, 8 * P);
	assert_int_equal(e.master, 0);
	/* foreach AdamW's step: one fp32 copy of every tensor (sqrt(v)) */
	assert_true(e.step_temps >= 4 * P && e.step_temps < 4 * P + 512 * s.ntensors);
	assert_int_equal(e.step_peak, e.gradients + e.step_temps);
	assert_int_equal(e.total, e.weights + e.optimizer +
				      (e.activations > e.step_peak ? e.activations : e.step_peak) +
				      e.overhead);
	/* pure fp32 AdamW: 4 + 4 + 8 = 16 */
	w.precision = VF_PREC_FP32;
	estimate(&s, &w, &e);
	assert_int_equal(e.weights - e.buffers + e.gradients + e.optimizer, 16 * P);
	/* pure bf16: 2 + 2 + 4 (moments zeros_like the bf16 parameter) */
	w.precision = VF_PREC_PURE16;
	estimate(&s, &w, &e);
	assert_int_equal(e.weights - e.buffers + e.gradients + e.optimizer, 8 * P);
	/* 8-bit Adam: 4 + 4 + 2, plus an fp32 absmax per 2048 per state */
	w.precision = VF_PREC_MIXED;
	w.optim = VF_OPTIM_ADAMW8;
	estimate(&s, &w, &e);
	assert_int_equal(e.weights - e.buffers + e.gradients + e.optimizer,
			 10 * P + (P + 2047) / 2048 * 8);
	assert_int_equal(e.step_temps, 0);
	/* SGD with momentum: 4 + 4 + 4 = 12, updated in place */
	w.optim = VF_OPTIM_SGD;
	estimate(&s, &w, &e);
	assert_int_equal(e.weights - e.buffers + e.gradients + e.optimizer, 12 * P);
	assert_int_equal(e.step_temps, 0);
	/* for-loop AdamW: two fp32 copies of the largest tensor (the embedding) */
	w.optim = VF_OPTIM_ADAMW;
	w.optim_impl = VF_OPTIM_FOR;
	estimate(&s, &w, &e);
	assert_int_equal(e.step_temps, 2 * ((1000ULL * 256 * 4 + 511) / 512 * 512));
	w.optim_impl = VF_OPTIM_FUSED;
	estimate(&s, &w, &e);
	assert_int_equal(e.step_temps, 0);
	w.optim_impl = VF_OPTIM_FOREACH;
	/* ZeRO-2 over 8 ranks: gradients and optimizer states partitioned */
	w.zero_stage = 2;
	w.dp = 8;
	estimate(&s, &w, &e);
	assert_int_equal(e.gradients, 4 * P / 8);
	assert_int_equal(e.optimizer, 8 * P / 8);
	assert_int_equal(e.weights - e.buffers, 4 * P);
	/* ZeRO-3: weights too, plus DeepSpeed's 4 bytes per parameter of the
	 * largest layer (a block: 4h^2 + 3hI + 2h) */
	w.zero_stage = 3;
	estimate(&s, &w, &e);
	assert_int_equal(e.weights,
			 (4 * P + buf + 7) / 8 + 4 * (4 * 256 * 256 + 3 * 256 * 512 + 2 * 256));
	vf_synth_release(&s);
}

static void test_lora(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	struct vf_err err = {0};

	(void)state;
	synth(llama2_7b, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	w.lora_rank = 8;
	estimate(&s, &w, &e);
	/* PEFT on Llama-2-7b, r=8, q_proj and v_proj: "trainable params: 4,194,304
	 * || all params: 6,742,609,920" = 32 layers * 2 * 8 * (4096 + 4096) */
	assert_int_equal(e.params_trainable, 4194304);
	assert_int_equal(e.params_total + e.params_trainable, 6742609920ULL);
	/* adapters in fp32 with fp32 gradients and AdamW moments, no master copy */
	assert_int_equal(e.adapters, 4 * 4194304);
	assert_int_equal(e.gradients, 4 * 4194304);
	assert_int_equal(e.optimizer, 8 * 4194304);
	/* the frozen base stays fp16 */
	assert_int_equal(e.weights - e.adapters - e.buffers, 6738415616ULL * 2);
	/* QLoRA: the block matrices in NF4 with double quantization (n/2 + a uint8
	 * absmax per 64 + an fp32 absmax per 256 of those + the 256- and 16-entry
	 * codes and an offset); embeddings, head and norms stay fp16 */
	w.qlora = true;
	estimate(&s, &w, &e);
#define NF4DQ(n) ((n) / 2 + (n) / 64 + (n) / 64 / 256 * 4 + 1024 + 64 + 4)
	assert_int_equal(e.weights - e.adapters - e.buffers,
			 2ULL * 32000 * 4096 * 2 + 65ULL * 4096 * 2 +
			     32 * (4 * NF4DQ(16777216ULL) + 3 * NF4DQ(45088768ULL)));
	/* all-linear: every matrix of the blocks */
	w.qlora = false;
	w.lora_all_linear = true;
	estimate(&s, &w, &e);
	assert_int_equal(e.params_trainable, 32ULL * 8 * (4 * (4096 + 4096) + 3 * (4096 + 11008)));
	vf_synth_release(&s);

	/* no PEFT default for DeepSeek: ask for targets */
	synth("{\"model_type\": \"deepseek_v2\", \"hidden_size\": 64, \"intermediate_size\": 96, "
	      "\"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"vocab_size\": 100, "
	      "\"kv_lora_rank\": 16, \"qk_nope_head_dim\": 8, \"qk_rope_head_dim\": 8, "
	      "\"v_head_dim\": 8}",
	      VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	w.lora_rank = 4;
	assert_int_equal(vf_estimate(NULL, &s, &w, &e, &err), VF_EUSAGE);
	assert_non_null(strstr(err.msg, "--lora-targets"));
	vf_synth_release(&s);
}

static void test_checkpointing(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	uint64_t block;

	(void)state;
	synth(tiny, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	w.seq = 512;
	w.batch = 2;
	block = vf_block_saved_bytes(&s, &s.blocks[0], &w, VF_DT_BF16, 2, 512);
	estimate(&s, &w, &e);
	assert_int_equal(e.layer_activations, 4 * block);
	/* full recompute keeps each block's input (2sbh) and one block's activations */
	w.grad_ckpt = true;
	estimate(&s, &w, &e);
	assert_int_equal(e.layer_activations, 4 * (2ULL * 512 * 256 * 2) + block);
	vf_synth_release(&s);
}

static void test_bad_workloads(void **state)
{
	struct vf_synth s;
	struct vf_workload w;
	struct vf_estimate e;
	struct vf_err err = {0};

	(void)state;
	synth(tiny, VF_ENGINE_HF, &s);
	vf_workload_init(&w);
	w.train = true;
	w.engine = VF_ENGINE_VLLM;
	assert_int_equal(vf_estimate(NULL, &s, &w, &e, &err), VF_EUSAGE);
	vf_err_clear(&err);
	vf_workload_init(&w);
	w.zero_stage = 2;
	assert_int_equal(vf_estimate(NULL, &s, &w, &e, &err), VF_EUSAGE);
	vf_err_clear(&err);
	/* a sequence so long the scores overflow: refused, not wrapped */
	vf_workload_init(&w);
	w.attn = VF_IMPL_EAGER;
	w.seq = UINT64_C(1) << 32;
	w.batch = UINT64_C(1) << 32;
	assert_int_equal(vf_estimate(NULL, &s, &w, &e, &err), VF_EUSAGE);
	vf_synth_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv_llama3_8b),
	    cmocka_unit_test(test_kv_sliding),
	    cmocka_unit_test(test_kv_mla_mqa_cross_linear),
	    cmocka_unit_test(test_kv_per_layer),
	    cmocka_unit_test(test_korthikanti),
	    cmocka_unit_test(test_llama_block_saved),
	    cmocka_unit_test(test_prefill_eager),
	    cmocka_unit_test(test_logits),
	    cmocka_unit_test(test_training_bytes_per_param),
	    cmocka_unit_test(test_lora),
	    cmocka_unit_test(test_checkpointing),
	    cmocka_unit_test(test_bad_workloads),
	};

	vf_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
