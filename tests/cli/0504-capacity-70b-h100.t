# Llama-3.1-70B in bf16 (141,107,412,992 bytes) needs TP 2 on 80 GB H100s
setup: printf '%s' '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16"}' > config.json
args: capacity --json --dtype bf16 --gpu h100 @T/config.json
exit: 0
stdout-has: "gpus":	2,
stdout-has: "tensor_parallel":	2,
stdout-has: "pipeline_parallel":	1,
stdout-has: "args":	"--tensor-parallel-size 2 --pipeline-parallel-size 1 --max-model-len 4096 --gpu-memory-utilization 0.90 --dtype bfloat16"
stdout-has: "tensor_parallel_sizes":	[1, 2, 4, 8]
