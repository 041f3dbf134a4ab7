/*
 * test_config.c - config.json -> struct vf_arch.  Every file in
 * ../shared/models (real configs of published models) is read, and the values
 * asserted here were copied by hand from those files (and, for derived
 * fields, from the transformers config classes' documented defaults).
 */
#include "tests/unit/testutil.h"

#include "common/json.h"
#include "formats/formats.h"

struct want {
	const char *file, *model_type, *architecture, *dtype;
	int64_t layers, hidden, heads, kv, head_dim, inter, vocab, max_pos;
	int tie;
	int64_t experts, per_tok, moe_inter, window;
};

static const struct want shared_models[] = {
    {"Qwen__Qwen3-30B-A3B.json", "qwen3_moe", "Qwen3MoeForCausalLM", "bfloat16", 48, 2048, 32, 4,
     128, 6144, 151936, 40960, 0, 128, 8, 768, VF_UNSET},
    {"TinyLlama__TinyLlama-1.1B-Chat-v1.0.json", "llama", "LlamaForCausalLM", "bfloat16", 22, 2048,
     32, 4, 64, 5632, 32000, 2048, 0, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET},
    {"google-bert__bert-large-uncased.json", "bert", "BertForMaskedLM", "", 24, 1024, 16, 16, 64,
     4096, 30522, 512, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET},
    {"meta-llama__Llama-2-7b-hf.json", "llama", "LlamaForCausalLM", "float16", 32, 4096, 32, 32,
     128, 11008, 32000, 4096, 0, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET},
    {"microsoft__Phi-3-mini-4k-instruct.json", "phi3", "Phi3ForCausalLM", "bfloat16", 32, 3072, 32,
     32, 96, 8192, 32064, 4096, 0, VF_UNSET, VF_UNSET, VF_UNSET, 2047},
    {"mistralai__Mistral-7B-v0.1.json", "mistral", "MistralForCausalLM", "bfloat16", 32, 4096, 32,
     8, 128, 14336, 32000, 32768, 0, VF_UNSET, VF_UNSET, VF_UNSET, 4096},
    /* GPT-2 spells it n_layer/n_embd/n_head/n_positions; n_inner absent = 4 * n_embd */
    {"openai-community__gpt2.json", "gpt2", "GPT2LMHeadModel", "", 12, 768, 12, 12, 64, 3072, 50257,
     1024, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET, VF_UNSET},
};

static void test_shared_models(void **state)
{
	const char *dir = tu_env("VF_MODELS");

	(void)state;
	for (size_t i = 0; i < sizeof(shared_models) / sizeof(shared_models[0]); i++) {
		const struct want *w = &shared_models[i];
		struct vf_arch a = {0};
		struct vf_err err = {0};
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", dir, w->file);
		if (vf_config_read(p, &a, &err))
			fail_msg("%s: %s", w->file, err.msg);
		assert_true(a.present);
		assert_string_equal(a.model_type, w->model_type);
		assert_string_equal(a.architecture, w->architecture);
		assert_string_equal(a.torch_dtype, w->dtype);
		assert_int_equal(a.num_layers, w->layers);
		assert_int_equal(a.hidden, w->hidden);
		assert_int_equal(a.heads, w->heads);
		assert_int_equal(a.kv_heads, w->kv);
		assert_int_equal(a.head_dim, w->head_dim);
		assert_int_equal(a.intermediate, w->inter);
		assert_int_equal(a.vocab, w->vocab);
		assert_int_equal(a.max_position_embeddings, w->max_pos);
		assert_int_equal(a.tie_word_embeddings, w->tie);
		assert_int_equal(a.num_experts, w->experts);
		assert_int_equal(a.experts_per_tok, w->per_tok);
		assert_int_equal(a.moe_intermediate, w->moe_inter);
		assert_int_equal(a.sliding_window, w->window);
		vf_arch_release(&a);
	}
}

static struct vf_arch parse_ok(const char *json)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};

	if (vf_config_parse(json, strlen(json), "config.json", &a, &err))
		fail_msg("unexpected error: %s", err.msg);
	return a;
}

static void accepts(const char *json)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};

	if (vf_config_parse(json, strlen(json), "c.json", &a, &err))
		fail_msg("'%s' refused: %s", json, err.msg);
	vf_arch_release(&a);
}

static void parse_bad(const char *json, const char *msg)
{
	struct vf_arch a = {0};
	struct vf_err err = {0};

	assert_int_equal(vf_config_parse(json, strlen(json), "c.json", &a, &err), VF_EFORMAT);
	if (!strstr(err.msg, msg))
		fail_msg("got '%s', want '%s'", err.msg, msg);
	assert_string_equal(err.path, "c.json");
	assert_false(a.present);
	assert_null(a.layer_types);
}

/* Multimodal configs nest the language model; its keys win over the top level. */
static void test_text_config(void **state)
{
	struct vf_arch a = parse_ok(
	    "{\"model_type\":\"gemma3\",\"architectures\":[\"Gemma3ForConditionalGeneration\"],"
	    "\"torch_dtype\":\"bfloat16\",\"hidden_size\":1,"
	    "\"text_config\":{\"model_type\":\"gemma3_text\",\"hidden_size\":2560,"
	    "\"num_hidden_layers\":6,\"num_attention_heads\":8,\"num_key_value_heads\":4,"
	    "\"head_dim\":256,\"intermediate_size\":10240,\"vocab_size\":262208,"
	    "\"sliding_window\":1024,\"sliding_window_pattern\":6,\"layer_types\":["
	    "\"sliding_attention\",\"sliding_attention\",\"sliding_attention\","
	    "\"sliding_attention\",\"sliding_attention\",\"full_attention\"]},"
	    "\"vision_config\":{\"hidden_size\":1152}}");

	(void)state;
	assert_string_equal(a.model_type, "gemma3");
	assert_string_equal(a.text_model_type, "gemma3_text");
	assert_int_equal(a.hidden, 2560);
	assert_int_equal(a.head_dim, 256);
	assert_false(a.head_dim_default);
	assert_int_equal(a.sliding_window, 1024);
	assert_int_equal(a.sliding_window_pattern, 6);
	assert_non_null(a.layer_types);
	assert_int_equal(a.layer_types[0], VF_ATTN_SLIDING);
	assert_int_equal(a.layer_types[5], VF_ATTN_FULL);
	vf_arch_release(&a);
}

/* Missing optional keys and nulls leave fields unset; defaults are flagged. */
static void test_missing_and_null(void **state)
{
	struct vf_arch a = parse_ok("{\"hidden_size\":4096,\"num_attention_heads\":32,"
				    "\"sliding_window\":null,\"num_key_value_heads\":null}");

	(void)state;
	assert_string_equal(a.model_type, "");
	assert_int_equal(a.num_layers, VF_UNSET);
	assert_int_equal(a.sliding_window, VF_UNSET);
	assert_int_equal(a.kv_heads, 32); /* MHA when the config is silent */
	assert_true(a.kv_heads_default);
	assert_int_equal(a.head_dim, 128); /* 4096 / 32 */
	assert_true(a.head_dim_default);
	assert_int_equal(a.tie_word_embeddings, VF_UNSET);
	vf_arch_release(&a);
}

/* DeepSeek-V3's MoE and MLA fields (values from its published config.json). */
static void test_deepseek_fields(void **state)
{
	struct vf_arch a = parse_ok(
	    "{\"model_type\":\"deepseek_v3\",\"num_hidden_layers\":61,\"hidden_size\":7168,"
	    "\"num_attention_heads\":128,\"num_key_value_heads\":128,\"n_routed_experts\":256,"
	    "\"n_shared_experts\":1,\"num_experts_per_tok\":8,\"moe_intermediate_size\":2048,"
	    "\"first_k_dense_replace\":3,\"moe_layer_freq\":1,\"q_lora_rank\":1536,"
	    "\"kv_lora_rank\":512,\"qk_nope_head_dim\":128,\"qk_rope_head_dim\":64,"
	    "\"v_head_dim\":128,\"num_nextn_predict_layers\":1,\"quantization_config\":"
	    "{\"quant_method\":\"fp8\",\"fmt\":\"e4m3\",\"weight_block_size\":[128,128]}}");

	(void)state;
	assert_int_equal(a.num_experts, 256);
	assert_int_equal(a.shared_experts, 1);
	assert_int_equal(a.first_k_dense_replace, 3);
	assert_int_equal(a.kv_lora_rank, 512);
	assert_int_equal(a.qk_rope_head_dim, 64);
	assert_int_equal(a.nextn_predict_layers, 1);
	assert_string_equal(a.quant_method, "fp8");
	vf_arch_release(&a);
}

static void test_quantization_and_layers(void **state)
{
	struct vf_arch a =
	    parse_ok("{\"num_hidden_layers\":4,\"mlp_only_layers\":[0,3],\"quantization_config\":"
		     "{\"quant_method\":\"gptq\",\"bits\":4,\"group_size\":-1}}");
	struct vf_arch b = parse_ok("{\"quantization_config\":{\"quant_method\":\"bitsandbytes\","
				    "\"load_in_4bit\":true,\"load_in_8bit\":false},"
				    "\"n_head\":71,\"multi_query\":true}");

	(void)state;
	assert_string_equal(a.quant_method, "gptq");
	assert_int_equal(a.quant_bits, 4);
	assert_int_equal(a.quant_group_size, -1); /* GPTQ: no grouping */
	assert_non_null(a.mlp_only);
	assert_int_equal(a.mlp_only[0], 1);
	assert_int_equal(a.mlp_only[1], 0);
	assert_int_equal(a.mlp_only[3], 1);
	assert_int_equal(b.quant_bits, 4);
	assert_int_equal(b.kv_heads, 1); /* Falcon multi_query */
	vf_arch_release(&a);
	vf_arch_release(&b);
}

static void test_bad_configs(void **state)
{
	(void)state;
	parse_bad("[1]", "config is not a JSON object");
	parse_bad("{\"num_hidden_layers\":", "config is not valid JSON");
	parse_bad("{\"num_hidden_layers\":\"32\"}", "\"num_hidden_layers\" is not a non-negative");
	parse_bad("{\"hidden_size\":-4096}", "\"hidden_size\" is not a non-negative");
	parse_bad("{\"hidden_size\":40.5}", "\"hidden_size\" is not");
	parse_bad("{\"text_config\":{\"vocab_size\":true}}", "\"text_config.vocab_size\" is not");
	parse_bad("{\"tie_word_embeddings\":1}", "\"tie_word_embeddings\" is not true or false");
	parse_bad("{\"model_type\":7}", "\"model_type\" is not a string");
	parse_bad("{\"num_hidden_layers\":5000}", "5000 layers is more than the 4096 supported");
	parse_bad("{\"num_hidden_layers\":2,\"layer_types\":[\"full_attention\"]}",
		  "\"layer_types\" has 1 entries for 2 layers");
	parse_bad("{\"layer_types\":[\"full_attention\"]}", "given without a layer count");
	parse_bad("{\"num_hidden_layers\":2,\"mlp_only_layers\":[2]}", "not a layer index");
	parse_bad("{\"quantization_config\":\"gptq\"}", "\"quantization_config\" is not an object");
	parse_bad("{\"architectures\":\"Llama\"}", "\"architectures\" is not a list");
	parse_bad("{\"a\":1,\"a\":2}", "repeats the key \"a\"");
}

/* Values transformers' config and model classes refuse (issue 12), each
 * refused naming the field. */
static void test_refused_values(void **state)
{
	(void)state;
	parse_bad("{\"num_attention_heads\":8,\"num_key_value_heads\":16}",
		  "\"num_key_value_heads\" (16) does not divide \"num_attention_heads\" (8)");
	parse_bad("{\"num_attention_heads\":8,\"num_key_value_heads\":3}",
		  "\"num_key_value_heads\" (3) does not divide \"num_attention_heads\" (8)");
	parse_bad("{\"hidden_size\":100,\"num_attention_heads\":8}",
		  "\"hidden_size\" (100) is not divisible by \"num_attention_heads\" (8), and no "
		  "\"head_dim\" is given");
	parse_bad("{\"hidden_size\":0}", "\"hidden_size\" is 0 (a size of at least 1)");
	parse_bad("{\"num_hidden_layers\":0}", "\"num_hidden_layers\" is 0");
	parse_bad("{\"n_head\":0}", "\"n_head\" is 0");
	parse_bad("{\"text_config\":{\"vocab_size\":0}}", "\"text_config.vocab_size\" is 0");
	parse_bad("{\"num_attention_heads\":-8}", "\"num_attention_heads\" is not a non-negative");
	parse_bad("{\"num_local_experts\":8,\"num_experts_per_tok\":9}",
		  "\"num_experts_per_tok\" (9) is more than the 8 experts (\"num_local_experts\")");
	parse_bad("{\"quantization_config\":{\"quant_method\":\"gptq\",\"bits\":0}}",
		  "\"quantization_config.bits\" is 0, not a bit width from 1 to 8");
	parse_bad("{\"quantization_config\":{\"quant_method\":\"gptq\",\"bits\":64}}",
		  "\"quantization_config.bits\" is 64, not a bit width from 1 to 8");
	parse_bad("{\"torch_dtype\":\"floaty\"}", "\"torch_dtype\" 'floaty' is not a torch dtype");
	parse_bad("\xef\xbb\xbf{\"model_type\":\"llama\"}",
		  "config starts with a UTF-8 byte order mark, which JSON does not allow");
	parse_bad("{\"text_config\":[1]}", "\"text_config\" is not an object");
	parse_bad("{\"text_config\":\"llama\"}", "\"text_config\" is not an object");
	/* what transformers accepts stays accepted */
	accepts("{\"hidden_size\":100,\"num_attention_heads\":8,\"head_dim\":16}");
	accepts("{\"num_attention_heads\":8,\"num_key_value_heads\":2}");
	accepts("{\"torch_dtype\":\"bfloat16\",\"text_config\":null}");
	accepts("{\"torch_dtype\":\"torch.float16\"}");
	accepts("{\"quantization_config\":{\"quant_method\":\"gptq\",\"bits\":3}}");
	accepts("{\"num_local_experts\":8,\"num_experts_per_tok\":2}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_models),	    cmocka_unit_test(test_text_config),
	    cmocka_unit_test(test_missing_and_null),	    cmocka_unit_test(test_deepseek_fields),
	    cmocka_unit_test(test_quantization_and_layers), cmocka_unit_test(test_bad_configs),
	    cmocka_unit_test(test_refused_values),
	};

	vf_json_init();
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
