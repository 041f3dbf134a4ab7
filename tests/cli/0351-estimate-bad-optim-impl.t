# --optim-impl takes foreach, for or fused
args: estimate --train --optim-impl loop @M/meta-llama__Llama-2-7b-hf.json
exit: 2
