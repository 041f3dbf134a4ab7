# Llama-3.1-8B bf16 (its published config.json) on RTX 4090s:
# 8k: 16.06 GB weights + 0.97 GB activations (a 8192-token step) under 0.90 x
#     23.99 GiB leaves ~6.1 GB: 131,072 B/token -> ~46.6k tokens, concurrency 5.7
args: capacity --gpu rtx4090 --max-model-len 8k tests/data/configs/meta-llama__Llama-3.1-8B/config.json
exit: 0
stdout-has:      1     1   1   1  rtx4090        BF16
stdout-has:     5.7      5
stdout-has: vllm serve tests/data/configs/meta-llama__Llama-3.1-8B --tensor-parallel-size 1 --pipeline-parallel-size 1 --max-model-len 8192
