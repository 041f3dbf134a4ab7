# training: DeepSpeed ZeRO-3 over the fewest GPUs (model states 16 B/param)
args: capacity --json --train --seq 2048 --gpu h100 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "mode":	"training"
stdout-has: "data_parallel":	2,
stdout-has: "stage":	3,
stdout-has: "offload_optimizer":	{
stdout-has: "device":	"none"
stdout-has: "train_micro_batch_size_per_gpu":	1,
