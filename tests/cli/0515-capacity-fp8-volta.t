# vLLM's fp8 needs compute capability 7.5 (weight-only below 8.9)
args: capacity --json --gpu v100-32g --gpu t4 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "reason":	"vLLM's fp8 needs compute capability 7.5 or more (this is 7.0)"
stdout-has: "gpu":	"t4"
