args: gpus --gpu a100-40g --gpu "NVIDIA GeForce RTX 4090"
exit: 0
stdout-has: 2 hypothetical (--gpu); nothing measured
stdout-has: NVIDIA A100-SXM4-40GB
stdout-has: 40.00 GiB
stdout-has: 1555 GB/s
stdout-has: NVIDIA GeForce RTX 4090
