# a GPTQ model planned from its config alone: per layer q/k/v/o 8,732,672 bytes
# each (qweight 4096*4096/2, qzeros 32*4096/2, fp16 scales 32*4096*2, g_idx
# 4096*4), gate/up 23,441,408, down 23,469,056 (86 groups); embeddings, head and
# norms fp16: 32 * 105,282,560 + 524,288,000 + 532,480 + 256 (inv_freq)
setup: printf '{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000, "torch_dtype": "float16", "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}' > config.json
args: estimate --json @T/config.json
exit: 0
stdout-has: "weights":	3893862656
stdout-has: "weights_dtype":	"gptq"
stdout-has: quantization_config
