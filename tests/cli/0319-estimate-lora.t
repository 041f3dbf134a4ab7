# LoRA r=8 on q_proj, v_proj: PEFT prints "trainable params: 4,194,304"
args: estimate --json --train --lora 8 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "trainable":	4194304
stdout-has: "gradients":	16777216
