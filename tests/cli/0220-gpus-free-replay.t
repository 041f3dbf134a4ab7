# PyTorch's "total capacity of 79.18 GiB of which 3.35 GiB is free"
args: gpus --json --gpu 79.18GiB,free=3.35GiB
exit: 0
stdout-has: "total":	85018877624
stdout-has: "free":	3597035110
stdout-has: "used":	81421842514
