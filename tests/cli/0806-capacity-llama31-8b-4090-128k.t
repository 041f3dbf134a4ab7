# Llama-3.1-8B at 128k needs two 4090s: one sequence of 131072 tokens takes
# 131072 x 131,072 = 16 GiB of KV; V0 turns chunked prefill on above 32K, so the
# step is 2048 tokens; TP 2 halves weights (8.05 GB) and KV (65,536 B/token)
args: capacity --gpu rtx4090 --max-model-len 128k tests/data/configs/meta-llama__Llama-3.1-8B/config.json
exit: 0
stdout-has:      2     1   2   1  rtx4090        BF16
stdout-has:     1.7      1
stdout-has: --tensor-parallel-size 2
