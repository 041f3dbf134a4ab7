# Mixtral-8x7B (its published config.json) quantized to int8 at load fits one
# A100-80G: 46.7e9 parameters x 1 byte ~ 47.0 GB of weights (vLLM's
# experts_int8 keeps attention in bf16: ~1.3 GB more, inside the headroom) +
# 0.91 GB activations of a 4096-token step under 0.90 x 80 GiB leaves ~27 GB of
# KV blocks (32 x 8 x 128 x 2 x 2 = 131,072 B/token): concurrency 54.8 at 4096
args: capacity --gpu a100-80g --dtype int8 tests/data/configs/mistralai__Mixtral-8x7B-v0.1/config.json
exit: 0
stdout-has:      1     1   1   1  a100-80g       int8
stdout-has:    54.8     54
stdout-has: --quantization experts_int8
