# AdamW under HF Trainer-style mixed precision on Llama-2-7b (issue 13, measured
# by tests/oracle): fp32 weights, fp32 gradients, fp32 moments, no master copy:
# 4 + 4 + 8 bytes per parameter (weights carry the 256-byte rotary inv_freq
# buffer too); the step's foreach temporaries are one fp32 copy of every tensor
args: estimate --json --train --seq 1024 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "gradients":	26953662464
stdout-has: "optimizer":	53907324928
stdout-has: "weights":	26953662720
stdout-has: "step_temporaries":	26953662464
