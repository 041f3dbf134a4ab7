# --gpu NAME:N means nodes of N: whole nodes are counted (8 H100s for a 7B model)
args: capacity --gpu h100:8 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has:      8     1   8   1  h100-sxm
stdout-has: --tensor-parallel-size 8
