# a checkpoint with no tensors is legal
args: inspect --json @F/empty.safetensors
exit: 0
stdout-has: "tensors":	0,
stdout-has: "layers":	[]
