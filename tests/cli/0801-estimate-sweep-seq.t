# a sweep of the prompt: one row a point, doubling, token counts with k
args: estimate --engine vllm --sweep seq=1k..8k @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has:      seq      weights     kv_cache  activations   grad+optim     overhead        total   (GiB)
stdout-has:       1k        12.55         0.50
stdout-has:       8k        12.55         4.00
