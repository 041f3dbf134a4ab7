# --optim-impl: fused AdamW has no step temporaries
args: estimate --json --train --optim-impl fused --seq 1024 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "step_temporaries":	0
stdout-has: "optimizer_impl":	"fused"
