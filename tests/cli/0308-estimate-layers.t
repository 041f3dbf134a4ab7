# --layers: the device_map units in execution order, with their KV cache
args: estimate --layers --seq 1024 @M/TinyLlama__TinyLlama-1.1B-Chat-v1.0.json
exit: 0
stdout-has:       0  model.embed_tokens
stdout-has:      22  model.layers.21
stdout-has:      24  lm_head
stdout-has: 1.00 MiB
