args: inspect --tensors @F/all_dtypes.safetensors
exit: 0
stdout-has: t_float4
stdout-has: F4       [2, 4] 4 B
stdout-has: scalar
