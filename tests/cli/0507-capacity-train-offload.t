# the optimizer in CPU memory: fewer L4s, and the host memory it takes
# (--grad-ckpt: the training activations of 2048 tokens, 26.8 GB without it
# under planner/training.c, exceed an L4 whatever the GPU count)
args: capacity --train --grad-ckpt --offload optimizer --seq 2048 --gpu l4 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: offload_optimizer cpu
stdout-has: host memory per node for offload:
