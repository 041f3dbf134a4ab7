# Llama-2-7b from config.json alone: the published 6,738,415,616, fp16 weights,
# 512 KiB of fp16 KV cache per token (2 * 32 layers * 32 heads * 128 * 2 bytes)
args: estimate --json --seq 4096 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "total":	6738415616
stdout-has: "kv_per_token":	524288
stdout-has: "kv_cache":	2147483648
stdout-has: "source":	"config"
