# the optimizer in CPU memory: fewer L4s, and the host memory it takes
args: capacity --train --offload optimizer --seq 2048 --gpu l4 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: offload_optimizer cpu
stdout-has: host memory per node for offload:
