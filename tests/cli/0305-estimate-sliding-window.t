# Mistral-7B-v0.1 keeps 4096 tokens per layer: 8192 tokens cost 512 MiB of bf16
# KV (2 * 32 * 8 * 128 * 2 * 4096), not 1 GiB
args: estimate --json --seq 8192 @M/mistralai__Mistral-7B-v0.1.json
exit: 0
stdout-has: "kv_cache":	536870912
