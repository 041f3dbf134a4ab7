# mixed-precision AdamW on Llama-2-7b: 2 + 2 + 12 bytes per parameter
# (weights carry the 256-byte rotary inv_freq buffer too)
args: estimate --json --train --seq 1024 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "gradients":	13476831232
stdout-has: "optimizer":	80860987392
stdout-has: "weights":	13476831488
