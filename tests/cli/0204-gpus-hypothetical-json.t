# catalogue GPUs and an OOM report replayed: the numbers a planner reads
# (H100 80GB: nvidia-smi's 81559 MiB; 7.8GiB truncated as accelerate does)
args: gpus --json --gpu h100:2 --gpu 8GiB,used=7.8GiB
exit: 0
stdout-has: "source":	"hypothetical"
stdout-has: "name":	"NVIDIA H100 80GB HBM3"
stdout-has: "total":	85520809984
stdout-has: "bandwidth":	3350000000000
stdout-has: "compute_capability":	"9.0"
stdout-has: "index":	2
stdout-has: "name":	"custom 8GiB"
stdout-has: "total":	8589934592
stdout-has: "used":	8375186227
stdout-has: "free":	214748365
stdout-has: "context_overhead":	629145600
