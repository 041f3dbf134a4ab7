# the human report always says where the GPUs came from, or why there are none
args: gpus
exit: 0
stdout-has: GPUs
stdout-has: host RAM
stdout-has: disk
