# DeepSeek-V3 under vLLM caches the 576-value latent (kv_lora_rank + rope) per
# layer: 61 * 576 * 2 bytes a token
setup: printf '{"model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128, "vocab_size": 129280, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "torch_dtype": "bfloat16"}' > config.json
args: estimate --json --engine vllm @T/config.json
exit: 0
stdout-has: "kv_per_token":	70272
stdout-has: "total":	671026404352
