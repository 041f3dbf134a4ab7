# a checkpoint without config.json: weights only, and it says so
args: estimate --json @F/gpt2_style.safetensors
exit: 0
stdout-has: "approximate":	true
stdout-has: no config.json: weights only
stdout-has: "kv_cache":	0
