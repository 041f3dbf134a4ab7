# Llama-2-7b (fp16) on an L4 (23034 MiB): 13,476,831,232 bytes of weights +
# 2 GiB of KV for 4096 tokens + 500 MiB context fit one GPU; vLLM settings
args: capacity --json --gpu l4 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "gpu":	"l4"
stdout-has: "gpus":	1,
stdout-has: "tensor_parallel_size":	1
stdout-has: "max_model_len":	4096
stdout-has: "args":	"--tensor-parallel-size 1 --pipeline-parallel-size 1 --max-model-len 4096 --gpu-memory-utilization 0.90"
stdout-has: "quantization":	"bitsandbytes"
stdout-has: "quantization":	"fp8"
stdout-has: "kv_cache":	2147483648
stdout-has: "efficiency":	0.5
