# a GGUF checkpoint: quantized already, so only its stored weights
args: capacity --json --gpu l4 @F/gguf/llama_q4km.gguf
exit: 0
stdout-has: "reason":	"the stored weights are quantized
stdout-has: "gpus":	1,
