# the stable keys of plan --json
args: plan --json --gpu 24GiB:2 --seq 512 @M/TinyLlama__TinyLlama-1.1B-Chat-v1.0.json
exit: 0
stdout-has: "verdict":	"gpu"
stdout-has: "device_map":	{
stdout-has: "model.layers.21":	
stdout-has: "lm_head":	1
stdout-has: "device":	"cpu"
stdout-has: "budget":	
stdout-has: "assigned":	
stdout-has: "remedies":	[]
