# the best row of each GPU kind is the least quantized one with the fewest GPUs (was int4, the fastest)
# the table, and the vLLM command of each named GPU's best row
args: capacity --gpu t4 --gpu h100 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: dtypes        stored (F16), fp8, int8, int4; not bf16: the stored weights are 16-bit already (F16)
stdout-has: tensor parallel 1, 2, 4, 8
stdout-has: vllm serve
stdout-has: h100-sxm, F16, 1 GPU:
stdout-has: t4, fp8, 1 GPU:
