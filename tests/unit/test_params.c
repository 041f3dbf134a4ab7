/*
 * test_params.c - parameter counts and layers from config.json alone.
 *
 * Expected totals are published counts (model cards, the safetensors totals
 * the Hub shows, PEFT's printed numbers), each also written out as the
 * arithmetic of memory-model.md's formulas so a reader can check it by hand.
 * The configs come from ../shared/models or are copied into this file from the
 * published config.json (only the fields that matter).
 */
#include "tests/unit/testutil.h"

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

static void synth_text(const char *json, enum vf_engine e, struct vf_synth *s)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};

	if (vf_config_parse(json, strlen(json), "test.json", &a, &err) ||
	    vf_synth_build(&a, &a.x, e, s, &err))
		fail_msg("%s", err.msg);
	vf_arch_release(&a);
}

static void synth_file(const char *name, struct vf_synth *s)
{
	char p[600], *text;
	size_t len;
	struct vf_err err = {0};

	snprintf(p, sizeof(p), "%s/%s", tu_env("VF_MODELS"), name);
	if (vf_file_slurp(p, 1 << 20, &text, &len, &err))
		fail_msg("%s", err.msg);
	synth_text(text, VF_ENGINE_HF, s);
	vf_free(text);
}

static void expect(struct vf_synth *s, uint64_t total, uint64_t active)
{
	if (s->params_total != total || s->params_active != active)
		fail_msg("%s: %llu total / %llu active, want %llu / %llu", s->model_type,
			 (unsigned long long)s->params_total, (unsigned long long)s->params_active,
			 (unsigned long long)total, (unsigned long long)active);
	assert_false(s->approximate);
	vf_synth_release(s);
}

/* ---- ../shared/models ---- */

static void test_llama2_7b(void **state)
{
	struct vf_synth s;
	/* V*h*2 + h + L*(h*d*(2a+2kv) + 3hI + 2h), memory-model.md */
	uint64_t V = 32000, h = 4096, L = 32, d = 128, a = 32, kv = 32, I = 11008;
	uint64_t want = V * h * 2 + h + L * (h * d * (2 * a + 2 * kv) + 3 * h * I + 2 * h);

	(void)state;
	assert_int_equal(want, 6738415616ULL); /* published */
	synth_file("meta-llama__Llama-2-7b-hf.json", &s);
	expect(&s, 6738415616ULL, 6738415616ULL);
}

static void test_tinyllama(void **state)
{
	struct vf_synth s;
	uint64_t V = 32000, h = 2048, L = 22, d = 64, a = 32, kv = 4, I = 5632;

	(void)state;
	assert_int_equal(V * h * 2 + h + L * (h * d * (2 * a + 2 * kv) + 3 * h * I + 2 * h),
			 1100048384ULL);
	synth_file("TinyLlama__TinyLlama-1.1B-Chat-v1.0.json", &s);
	expect(&s, 1100048384ULL, 1100048384ULL);
}

static void test_mistral_7b(void **state)
{
	struct vf_synth s;
	uint64_t V = 32000, h = 4096, L = 32, d = 128, a = 32, kv = 8, I = 14336;

	(void)state;
	assert_int_equal(V * h * 2 + h + L * (h * d * (2 * a + 2 * kv) + 3 * h * I + 2 * h),
			 7241732096ULL);
	synth_file("mistralai__Mistral-7B-v0.1.json", &s);
	expect(&s, 7241732096ULL, 7241732096ULL);
}

static void test_gpt2(void **state)
{
	struct vf_synth s;
	/* V*h + n_positions*h + L*(12h^2 + 13h) + 2h, tied head counted once */
	uint64_t V = 50257, h = 768, P = 1024, L = 12;

	(void)state;
	assert_int_equal(V * h + P * h + L * (12 * h * h + 13 * h) + 2 * h, 124439808ULL);
	synth_file("openai-community__gpt2.json", &s);
	expect(&s, 124439808ULL, 124439808ULL);
}

static void test_qwen3_moe(void **state)
{
	struct vf_synth s;
	/* every layer MoE: 128 experts of 3*h*768, router h*128, q/k norms 2*128 */
	uint64_t V = 151936, h = 2048, L = 48, E = 128, k = 8, Ie = 768;
	uint64_t attn = h * 128 * (2 * 32 + 2 * 4) + 2 * 128, expert = 3 * h * Ie;
	uint64_t total = 2 * V * h + h + L * (attn + 2 * h + E * expert + h * E);

	(void)state;
	assert_int_equal(total, 30532122624ULL);
	assert_int_equal(total - L * (E - k) * expert, 3353032704ULL);
	synth_file("Qwen__Qwen3-30B-A3B.json", &s);
	expect(&s, 30532122624ULL, 3353032704ULL);
}

static void test_phi3_mini(void **state)
{
	struct vf_synth s;
	/* fused qkv_proj and gate_up_proj: the same count as separate matrices */
	uint64_t V = 32064, h = 3072, L = 32, I = 8192;

	(void)state;
	assert_int_equal(2 * V * h + h + L * (4 * h * h + 3 * h * I + 2 * h), 3821079552ULL);
	synth_file("microsoft__Phi-3-mini-4k-instruct.json", &s);
	expect(&s, 3821079552ULL, 3821079552ULL);
}

static void test_bert_large_mlm(void **state)
{
	struct vf_synth s;
	/* BertModel (memory-model.md) less the pooler, plus the MLM head: transform
	 * h^2 + h, LayerNorm 2h, output bias V (the decoder weight is tied) */
	uint64_t V = 30522, P = 512, T = 2, h = 1024, L = 24, I = 4096;
	uint64_t base = (V + P + T) * h + 2 * h + L * (4 * h * h + 2 * h * I + 9 * h + I);

	(void)state;
	synth_file("google-bert__bert-large-uncased.json", &s);
	assert_string_equal(s.class_name, "BertForMaskedLM");
	expect(&s, base + h * h + h + 2 * h + V, base + h * h + h + 2 * h + V);
}

/* ---- configs copied from published config.json files ---- */

static void test_bert_base_model(void **state)
{
	struct vf_synth s;

	(void)state;
	synth_text(
	    "{\"model_type\": \"bert\", \"architectures\": [\"BertModel\"], \"hidden_size\": "
	    "768, \"num_hidden_layers\": 12, \"num_attention_heads\": 12, "
	    "\"intermediate_size\": 3072, \"vocab_size\": 30522, "
	    "\"max_position_embeddings\": 512, \"type_vocab_size\": 2}",
	    VF_ENGINE_HF, &s);
	expect(&s, 109482240ULL, 109482240ULL); /* memory-model.md */
}

static void test_mixtral(void **state)
{
	struct vf_synth s;
	uint64_t h = 4096, L = 32, I = 14336, E = 8, expert = 3 * h * I;
	uint64_t total = 2 * 32000 * h + h + L * (h * 128 * (64 + 16) + 2 * h + E * expert + h * E);

	(void)state;
	assert_int_equal(total, 46702792704ULL); /* Mixtral-8x7B, published 46.7B */
	synth_text(
	    "{\"model_type\": \"mixtral\", \"architectures\": [\"MixtralForCausalLM\"], "
	    "\"hidden_size\": 4096, \"intermediate_size\": 14336, \"num_hidden_layers\": 32, "
	    "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"vocab_size\": 32000, "
	    "\"num_local_experts\": 8, \"num_experts_per_tok\": 2, \"tie_word_embeddings\": "
	    "false, \"max_position_embeddings\": 32768, \"torch_dtype\": \"bfloat16\"}",
	    VF_ENGINE_HF, &s);
	expect(&s, 46702792704ULL, total - L * (E - 2) * expert); /* 12,879,925,248 active */
}

static void test_qwen25_7b(void **state)
{
	struct vf_synth s;
	/* Qwen2: q, k, v biases (a*d + 2*kv*d), no o bias */
	uint64_t V = 152064, h = 3584, L = 28, d = 128, a = 28, kv = 4, I = 18944;
	uint64_t want =
	    2 * V * h + h + L * (h * d * (2 * a + 2 * kv) + a * d + 2 * kv * d + 3 * h * I + 2 * h);

	(void)state;
	assert_int_equal(want, 7615616512ULL); /* Qwen2.5-7B, published 7.61B */
	synth_text(
	    "{\"model_type\": \"qwen2\", \"architectures\": [\"Qwen2ForCausalLM\"], "
	    "\"hidden_size\": 3584, \"intermediate_size\": 18944, \"num_hidden_layers\": 28, "
	    "\"num_attention_heads\": 28, \"num_key_value_heads\": 4, \"vocab_size\": 152064, "
	    "\"tie_word_embeddings\": false, \"sliding_window\": 131072, "
	    "\"use_sliding_window\": false, \"max_window_layers\": 28}",
	    VF_ENGINE_HF, &s);
	expect(&s, want, want);
}

static void test_qwen3_8b(void **state)
{
	struct vf_synth s;
	uint64_t V = 151936, h = 4096, L = 36, d = 128, I = 12288;
	uint64_t want = 2 * V * h + h + L * (h * d * (64 + 16) + 2 * d + 3 * h * I + 2 * h);

	(void)state;
	assert_int_equal(want, 8190735360ULL); /* Qwen3-8B, published 8.2B */
	synth_text(
	    "{\"model_type\": \"qwen3\", \"architectures\": [\"Qwen3ForCausalLM\"], "
	    "\"hidden_size\": 4096, \"intermediate_size\": 12288, \"num_hidden_layers\": 36, "
	    "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"head_dim\": 128, "
	    "\"vocab_size\": 151936, \"tie_word_embeddings\": false, \"attention_bias\": "
	    "false}",
	    VF_ENGINE_HF, &s);
	expect(&s, want, want);
}

static void test_gemma_family(void **state)
{
	struct vf_synth s;
	/* Gemma ties the head by default; head_dim 256 */
	uint64_t g7 = 256000ULL * 3072 + 3072 +
		      28ULL * (3072ULL * 256 * (2 * 16 + 2 * 16) + 3ULL * 3072 * 24576 + 2 * 3072);
	/* Gemma-2: four norms a layer */
	uint64_t g2 = 256000ULL * 3584 + 3584 +
		      42ULL * (3584ULL * 256 * (2 * 16 + 2 * 8) + 3ULL * 3584 * 14336 + 4 * 3584);
	/* Gemma-3 text: four norms and q/k norms */
	uint64_t g3 =
	    262144ULL * 1152 + 1152 +
	    26ULL * (1152ULL * 256 * (2 * 4 + 2 * 1) + 2 * 256 + 3ULL * 1152 * 6912 + 4 * 1152);

	(void)state;
	assert_int_equal(g7, 8537680896ULL); /* gemma-7b, published 8.54B */
	assert_int_equal(g2, 9241705984ULL); /* gemma-2-9b, published 9.24B */
	assert_int_equal(g3, 999885952ULL);  /* gemma-3-1b, published 1B */
	synth_text(
	    "{\"model_type\": \"gemma\", \"architectures\": [\"GemmaForCausalLM\"], "
	    "\"hidden_size\": 3072, \"intermediate_size\": 24576, \"num_hidden_layers\": 28, "
	    "\"num_attention_heads\": 16, \"num_key_value_heads\": 16, \"head_dim\": 256, "
	    "\"vocab_size\": 256000}",
	    VF_ENGINE_HF, &s);
	expect(&s, g7, g7);
	synth_text(
	    "{\"model_type\": \"gemma2\", \"architectures\": [\"Gemma2ForCausalLM\"], "
	    "\"hidden_size\": 3584, \"intermediate_size\": 14336, \"num_hidden_layers\": 42, "
	    "\"num_attention_heads\": 16, \"num_key_value_heads\": 8, \"head_dim\": 256, "
	    "\"vocab_size\": 256000, \"sliding_window\": 4096}",
	    VF_ENGINE_HF, &s);
	expect(&s, g2, g2);
	synth_text(
	    "{\"model_type\": \"gemma3_text\", \"architectures\": [\"Gemma3ForCausalLM\"], "
	    "\"hidden_size\": 1152, \"intermediate_size\": 6912, \"num_hidden_layers\": 26, "
	    "\"num_attention_heads\": 4, \"num_key_value_heads\": 1, \"head_dim\": 256, "
	    "\"vocab_size\": 262144, \"sliding_window\": 512, \"sliding_window_pattern\": 6}",
	    VF_ENGINE_HF, &s);
	expect(&s, g3, g3);
}

static void test_llama32_1b_tied(void **state)
{
	struct vf_synth s;
	uint64_t V = 128256, h = 2048, L = 16, d = 64, I = 8192;
	uint64_t want = V * h + h + L * (h * d * (64 + 16) + 3 * h * I + 2 * h);
	struct vf_layers ly;
	struct vf_wconv c = {VF_DT_UNKNOWN, false, VF_WQ_NONE, 0, 0};
	struct vf_err err = {0};

	(void)state;
	assert_int_equal(want, 1235814400ULL); /* Llama-3.2-1B, published 1.24B */
	synth_text(
	    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], "
	    "\"hidden_size\": 2048, \"intermediate_size\": 8192, \"num_hidden_layers\": 16, "
	    "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"vocab_size\": 128256, "
	    "\"tie_word_embeddings\": true, \"torch_dtype\": \"bfloat16\"}",
	    VF_ENGINE_HF, &s);
	/* the tied head is a layer (a device_map must name it) of 0 bytes, tied to
	 * the embedding */
	assert_int_equal(vf_layers_from_synth(&s, &c, &ly, &err), VF_OK);
	assert_string_equal(ly.v[ly.n - 1].name, "lm_head");
	assert_int_equal(ly.v[ly.n - 1].bytes, 0);
	assert_non_null(ly.tied_to);
	assert_int_equal(ly.tied_to[ly.n - 1], 0);
	assert_string_equal(ly.v[0].name, "model.embed_tokens");
	assert_int_equal(ly.v[0].bytes, V * h * 2);
	vf_layers_release(&ly);
	expect(&s, want, want);
}

static void test_deepseek_v3(void **state)
{
	struct vf_synth s;
	/* MLA per layer (memory-model.md), 3 dense layers, 58 MoE layers of 256
	 * routed + 1 shared expert; the multi-token-prediction layer is not part of
	 * the transformers model */
	uint64_t h = 7168, V = 129280, a = 128, ql = 1536, kvl = 512, nope = 128, rope = 64,
		 vh = 128;
	uint64_t mla = h * ql + ql + ql * a * (nope + rope) + h * (kvl + rope) + kvl +
		       kvl * a * (nope + vh) + a * vh * h;
	uint64_t expert = 3 * h * 2048, dense = mla + 2 * h + 3 * h * 18432;
	uint64_t moe = mla + 2 * h + 256 * expert + expert + 256 * h;
	uint64_t total = 2 * V * h + h + 3 * dense + 58 * moe;

	(void)state;
	/* 671,026,404,352: "671B"; with the 58 x 256 routing biases the checkpoint
	 * keeps (F32 buffers, not parameters) 671,026,419,200 */
	assert_int_equal(total, 671026404352ULL);
	synth_text(
	    "{\"model_type\": \"deepseek_v3\", \"architectures\": [\"DeepseekV3ForCausalLM\"], "
	    "\"hidden_size\": 7168, \"intermediate_size\": 18432, \"moe_intermediate_size\": "
	    "2048, \"num_hidden_layers\": 61, \"num_attention_heads\": 128, "
	    "\"num_key_value_heads\": 128, \"vocab_size\": 129280, \"q_lora_rank\": 1536, "
	    "\"kv_lora_rank\": 512, \"qk_nope_head_dim\": 128, \"qk_rope_head_dim\": 64, "
	    "\"v_head_dim\": 128, \"n_routed_experts\": 256, \"n_shared_experts\": 1, "
	    "\"num_experts_per_tok\": 8, \"first_k_dense_replace\": 3, \"moe_layer_freq\": 1, "
	    "\"topk_method\": \"noaux_tc\", \"num_nextn_predict_layers\": 1, "
	    "\"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\"}",
	    VF_ENGINE_HF, &s);
	/* "37B activated": 8 of 256 routed experts */
	expect(&s, total, total - 58ULL * (256 - 8) * expert);
}

static void test_deepseek_v2_lite(void **state)
{
	struct vf_synth s;
	/* no q_lora: q_proj straight from h; 2 shared experts; layer 0 dense */
	uint64_t h = 2048, a = 16, kvl = 512, nope = 128, rope = 64, vh = 128;
	uint64_t mla =
	    h * a * (nope + rope) + h * (kvl + rope) + kvl + kvl * a * (nope + vh) + a * vh * h;
	uint64_t expert = 3 * h * 1408;
	uint64_t total = 2 * 102400ULL * h + h + (mla + 2 * h + 3 * h * 10944) +
			 26 * (mla + 2 * h + 64 * expert + 2 * expert + 64 * h);

	(void)state;
	assert_int_equal(total, 15706484224ULL); /* DeepSeek-V2-Lite, published 15.7B */
	synth_text(
	    "{\"model_type\": \"deepseek_v2\", \"architectures\": [\"DeepseekV2ForCausalLM\"], "
	    "\"hidden_size\": 2048, \"intermediate_size\": 10944, \"moe_intermediate_size\": "
	    "1408, \"num_hidden_layers\": 27, \"num_attention_heads\": 16, "
	    "\"num_key_value_heads\": 16, \"vocab_size\": 102400, \"q_lora_rank\": null, "
	    "\"kv_lora_rank\": 512, \"qk_nope_head_dim\": 128, \"qk_rope_head_dim\": 64, "
	    "\"v_head_dim\": 128, \"n_routed_experts\": 64, \"n_shared_experts\": 2, "
	    "\"num_experts_per_tok\": 6, \"first_k_dense_replace\": 1, \"moe_layer_freq\": 1, "
	    "\"topk_method\": \"greedy\", \"tie_word_embeddings\": false}",
	    VF_ENGINE_HF, &s);
	expect(&s, total, total - 26ULL * (64 - 6) * expert);
}

static void test_t5_falcon_opt(void **state)
{
	struct vf_synth s;

	(void)state;
	/* t5-small, published 60,506,624 (tied head) */
	synth_text("{\"model_type\": \"t5\", \"architectures\": [\"T5ForConditionalGeneration\"], "
		   "\"d_model\": 512, \"d_kv\": 64, \"d_ff\": 2048, \"num_layers\": 6, "
		   "\"num_heads\": 8, \"vocab_size\": 32128, \"feed_forward_proj\": \"relu\"}",
		   VF_ENGINE_HF, &s);
	expect(&s, 60506624ULL, 60506624ULL);
	/* falcon-7b: multi-query (qkv out h + 2d), parallel attention, no biases */
	assert_int_equal(
	    65024ULL * 4544 + 2 * 4544 +
		32ULL * (4544ULL * (4544 + 128) + 4544ULL * 4544 + 8ULL * 4544 * 4544 + 2 * 4544),
	    6921720704ULL);
	synth_text("{\"model_type\": \"falcon\", \"architectures\": [\"FalconForCausalLM\"], "
		   "\"hidden_size\": 4544, \"num_hidden_layers\": 32, \"num_attention_heads\": 71, "
		   "\"vocab_size\": 65024, \"multi_query\": true, \"parallel_attn\": true, "
		   "\"bias\": false, \"alibi\": false}",
		   VF_ENGINE_HF, &s);
	expect(&s, 6921720704ULL, 6921720704ULL);
	/* opt-125m, published 125,239,296: positions have 2 extra rows */
	synth_text("{\"model_type\": \"opt\", \"architectures\": [\"OPTForCausalLM\"], "
		   "\"hidden_size\": 768, \"num_hidden_layers\": 12, \"num_attention_heads\": 12, "
		   "\"ffn_dim\": 3072, \"vocab_size\": 50272, \"max_position_embeddings\": 2048, "
		   "\"word_embed_proj_dim\": 768}",
		   VF_ENGINE_HF, &s);
	expect(&s, 125239296ULL, 125239296ULL);
}

/* ---- names, order, ties ---- */

static void expect_layers(const char *json, const char *const *want, size_t n, long tie_of_last)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};
	struct vf_layers ly;

	assert_int_equal(vf_config_parse(json, strlen(json), "t.json", &a, &err), VF_OK);
	if (vf_layers_from_arch(&a, &a.x, VF_DT_F16, &ly, &err))
		fail_msg("%s", err.msg);
	if (ly.n != n)
		fail_msg("%zu layers, want %zu", ly.n, n);
	for (size_t i = 0; i < n; i++)
		if (want[i] && strcmp(ly.v[i].name, want[i]) != 0)
			fail_msg("layer %zu is %s, want %s", i, ly.v[i].name, want[i]);
	assert_int_equal(ly.tied_to ? ly.tied_to[n - 1] : -1, tie_of_last);
	vf_layers_release(&ly);
	vf_arch_release(&a);
}

static void test_layer_names(void **state)
{
	/* model.rotary_emb holds buffers only: never a key (weights.c) */
	static const char *const llama[] = {"model.embed_tokens", "model.layers.0",
					    "model.layers.1", "model.norm", "lm_head"};
	static const char *const gpt2[] = {"transformer.wte", "transformer.wpe",  "transformer.h.0",
					   "transformer.h.1", "transformer.ln_f", "lm_head"};
	static const char *const bert[] = {"bert.embeddings", "bert.encoder.layer.0", "cls"};
	static const char *const t5[] = {"shared",
					 "encoder.embed_tokens",
					 "encoder.block.0",
					 "encoder.final_layer_norm",
					 "decoder.embed_tokens",
					 "decoder.block.0",
					 "decoder.final_layer_norm",
					 "lm_head"};
	static const char *const opt[] = {
	    "model.decoder.embed_tokens", "model.decoder.embed_positions",
	    "model.decoder.project_in",	  "model.decoder.layers.0",
	    "model.decoder.project_out",  "lm_head"};

	(void)state;
	expect_layers("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 96, "
		      "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 100, "
		      "\"architectures\": [\"LlamaForCausalLM\"]}",
		      llama, 5, -1);
	expect_layers("{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_layer\": 2, \"n_head\": 4, "
		      "\"vocab_size\": 100, \"n_positions\": 32}",
		      gpt2, 6, 0);
	expect_layers("{\"model_type\": \"bert\", \"architectures\": [\"BertForMaskedLM\"], "
		      "\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, "
		      "\"intermediate_size\": 64, \"vocab_size\": 100, "
		      "\"max_position_embeddings\": 16}",
		      bert, 3, 0);
	expect_layers(
	    "{\"model_type\": \"t5\", \"architectures\": [\"T5ForConditionalGeneration\"], "
	    "\"d_model\": 32, \"d_kv\": 8, \"d_ff\": 64, \"num_layers\": 1, \"num_heads\": 4, "
	    "\"vocab_size\": 100}",
	    t5, 8, 0);
	/* OPT-350m-like: post-LN has no final norm; projections in and out */
	expect_layers("{\"model_type\": \"opt\", \"architectures\": [\"OPTForCausalLM\"], "
		      "\"hidden_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, "
		      "\"ffn_dim\": 128, \"vocab_size\": 100, \"max_position_embeddings\": 32, "
		      "\"word_embed_proj_dim\": 32, \"do_layer_norm_before\": false}",
		      opt, 6, 0);
}

/* ---- unknown architectures and bad configs ---- */

static void test_unknown_is_refused(void **state)
{
	struct vf_synth s;
	struct vf_layers ly;
	struct vf_arch a = {0};
	struct vf_err err = {0};
	const char *json = "{\"model_type\": \"newthing\", \"hidden_size\": 64, "
			   "\"intermediate_size\": 96, \"num_hidden_layers\": 2, "
			   "\"num_attention_heads\": 4, \"vocab_size\": 100}";

	(void)state;
	/* a family without an emitter is never estimated as another */
	assert_int_equal(vf_config_parse(json, strlen(json), "t.json", &a, &err), VF_OK);
	assert_int_equal(vf_synth_build(&a, &a.x, VF_ENGINE_HF, &s, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "model_type \"newthing\" is not modelled"));
	/* and no device_map names from it */
	memset(&err, 0, sizeof(err));
	assert_int_equal(vf_layers_from_arch(&a, NULL, VF_DT_F16, &ly, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "newthing"));
	vf_arch_release(&a);
}

static void test_missing_field_fails(void **state)
{
	struct vf_arch a = {0};
	struct vf_synth s;
	struct vf_err err = {0};
	const char *json =
	    "{\"model_type\": \"llama\", \"hidden_size\": 64, "
	    "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 100}";

	(void)state;
	assert_int_equal(vf_config_parse(json, strlen(json), "t.json", &a, &err), VF_OK);
	assert_int_equal(vf_synth_build(&a, NULL, VF_ENGINE_HF, &s, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "intermediate_size"));
	vf_arch_release(&a);
}

static void test_overflow_refused(void **state)
{
	struct vf_arch a = {0};
	struct vf_synth s;
	struct vf_err err = {0};
	/* 2^39 * 2^39 elements in one matrix */
	const char *json = "{\"model_type\": \"llama\", \"hidden_size\": 549755813888, "
			   "\"intermediate_size\": 96, \"num_hidden_layers\": 1, "
			   "\"num_attention_heads\": 1, \"vocab_size\": 549755813888}";

	(void)state;
	assert_int_equal(vf_config_parse(json, strlen(json), "t.json", &a, &err), VF_OK);
	assert_int_equal(vf_synth_build(&a, NULL, VF_ENGINE_HF, &s, &err), VF_EFORMAT);
	assert_non_null(strstr(err.msg, "overflow"));
	vf_arch_release(&a);
}

static void test_alloc_failures(void **state)
{
	const char *json =
	    "{\"model_type\": \"mixtral\", \"hidden_size\": 32, "
	    "\"intermediate_size\": 48, \"num_hidden_layers\": 3, "
	    "\"num_attention_heads\": 4, \"vocab_size\": 64, \"num_local_experts\": 4, "
	    "\"num_experts_per_tok\": 2, \"tie_word_embeddings\": true}";
	struct vf_arch a = {0};
	struct vf_err err = {0};
	unsigned long n;

	(void)state;
	assert_int_equal(vf_config_parse(json, strlen(json), "t.json", &a, &err), VF_OK);
	/* fail every allocation in turn: a clean error, nothing leaked (ASan) */
	for (n = 1;; n++) {
		struct vf_synth s;
		struct vf_layers ly;
		enum vf_status st;
		vf_err_clear(&err);
		vf_mem_fail_at(n);
		st = vf_synth_build(&a, NULL, VF_ENGINE_HF436, &s, &err);
		if (!st) {
			st = vf_layers_from_synth(&s, NULL, &ly, &err);
			if (!st)
				vf_layers_release(&ly);
			vf_synth_release(&s);
		}
		vf_mem_fail_at(0);
		if (!st)
			break;
		assert_int_equal(st, VF_ENOMEM);
	}
	assert_true(n > 5);
	vf_arch_release(&a);
}

/* ---- quantized checkpoints: logical parameters and true bytes ---- */

static void test_quantized_tensors(void **state)
{
	struct vf_arch a = {0};
	uint64_t qshape[2] = {4096 * 4 / 32, 4096}, s1[1] = {4096};
	struct vf_tensor q = {.name = "model.layers.0.mlp.up_proj.qweight",
			      .shape = qshape,
			      .ndim = 2,
			      .dtype = VF_DT_I32};
	struct vf_tensor sc = {.name = "model.layers.0.mlp.up_proj.scales",
			       .shape = s1,
			       .ndim = 1,
			       .dtype = VF_DT_F16};
	uint64_t wshape[2] = {4096, 4096};
	struct vf_tensor w = {.name = "model.layers.0.mlp.up_proj.weight",
			      .shape = wshape,
			      .ndim = 2,
			      .dtype = VF_DT_BF16};
	struct vf_tensor emb = {
	    .name = "model.embed_tokens.weight", .shape = wshape, .ndim = 2, .dtype = VF_DT_F32};
	uint64_t ishape[2] = {1, 512};
	struct vf_tensor ids = {
	    .name = "bert.embeddings.position_ids", .shape = ishape, .ndim = 2, .dtype = VF_DT_I64};
	struct vf_wconv c;
	uint64_t n = 4096ULL * 4096;

	(void)state;
	q.numel = q.count_params = qshape[0] * qshape[1];
	q.nbytes = q.count_bytes = q.numel * 4;
	sc.numel = sc.count_params = 4096;
	a.quant_bits = 4;
	strcpy(a.quant_method, "gptq");
	/* GPTQ 4-bit: 8 values per int32; scales are bookkeeping */
	assert_int_equal(vf_tensor_params(&q, &a), n);
	assert_int_equal(vf_tensor_params(&sc, &a), 0);
	assert_true(vf_tensor_is_quant_aux("model.layers.0.mlp.up_proj.weight.absmax"));
	assert_true(vf_tensor_is_quant_aux("x.weight.quant_state.bitsandbytes__nf4"));
	assert_false(vf_tensor_is_quant_aux("model.layers.0.mlp.up_proj.weight"));

	w.numel = emb.numel = n;
	w.nbytes = n * 2;
	emb.nbytes = n * 4;
	ids.numel = 512;
	ids.nbytes = 512 * 8;
	/* conversion: floats narrow, never widen unless asked; ints keep their size */
	c = (struct vf_wconv){VF_DT_F16, false, VF_WQ_NONE, 0, 0};
	assert_int_equal(vf_tensor_bytes_as(&emb, VF_ROLE_EMBED, &c), n * 2);
	assert_int_equal(vf_tensor_bytes_as(&ids, VF_ROLE_NPBUFFER, &c), 512 * 8);
	c = (struct vf_wconv){VF_DT_F32, false, VF_WQ_NONE, 0, 0};
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c), n * 2);
	c.upcast = true;
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c), n * 4);
	/* bitsandbytes 4-bit: n/2 + an fp32 absmax per 64 + the 16-entry code = 4.5 bits */
	c = (struct vf_wconv){VF_DT_UNKNOWN, false, VF_WQ_INT4, 0, 0};
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c), n / 2 + n / 64 * 4 + 64);
	/* with double quantization: 4.127 bits (memory-model.md) */
	c.quant = VF_WQ_NF4DQ;
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c),
			 n / 2 + n / 64 + n / 64 / 256 * 4 + 256 * 4 + 64 + 4);
	assert_true(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c) * 8 * 1000 / n == 4127);
	/* LLM.int8: a byte each plus an fp32 scale per row; fp8: 128x128 block scales */
	c.quant = VF_WQ_INT8;
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c), n + 4096 * 4);
	c.quant = VF_WQ_FP8;
	assert_int_equal(vf_tensor_bytes_as(&w, VF_ROLE_LINEAR, &c), n + 32 * 32 * 4);
	/* what quantizers skip stays 16-bit: the fp32 embedding becomes fp16 */
	assert_int_equal(vf_tensor_bytes_as(&emb, VF_ROLE_EMBED, &c), n * 2);
	/* a checkpoint tensor without a role: a 2-D float in a block is a matrix */
	c.quant = VF_WQ_INT8;
	assert_int_equal(vf_tensor_bytes_as(&w, -1, &c), n + 4096 * 4);
	assert_int_equal(vf_tensor_bytes_as(&emb, -1, &c), n * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_llama2_7b),
	    cmocka_unit_test(test_tinyllama),
	    cmocka_unit_test(test_mistral_7b),
	    cmocka_unit_test(test_gpt2),
	    cmocka_unit_test(test_qwen3_moe),
	    cmocka_unit_test(test_phi3_mini),
	    cmocka_unit_test(test_bert_large_mlm),
	    cmocka_unit_test(test_bert_base_model),
	    cmocka_unit_test(test_mixtral),
	    cmocka_unit_test(test_qwen25_7b),
	    cmocka_unit_test(test_qwen3_8b),
	    cmocka_unit_test(test_gemma_family),
	    cmocka_unit_test(test_llama32_1b_tied),
	    cmocka_unit_test(test_deepseek_v3),
	    cmocka_unit_test(test_deepseek_v2_lite),
	    cmocka_unit_test(test_t5_falcon_opt),
	    cmocka_unit_test(test_layer_names),
	    cmocka_unit_test(test_unknown_is_refused),
	    cmocka_unit_test(test_missing_field_fails),
	    cmocka_unit_test(test_overflow_refused),
	    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_quantized_tensors),
	};

	vf_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
