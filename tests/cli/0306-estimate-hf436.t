# transformers 4.36 never trims the cache and upcasts every position's logits
# to fp32: 8192 * 32000 * (2 + 4) bytes of logits
args: estimate --json --seq 8192 --engine hf436 @M/mistralai__Mistral-7B-v0.1.json
exit: 0
stdout-has: "kv_cache":	1073741824
stdout-has: "logits":	1572864000
