# 80Gb is 80 gigabits (10 GB), as accelerate reads it; :3 repeats the GPU
args: gpus --json --gpu 80Gb:3
exit: 0
stdout-has: "total":	10000000000
stdout-has: "index":	2
stdout-has: "source":	"user"
