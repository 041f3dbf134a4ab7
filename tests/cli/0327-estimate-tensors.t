# --tensors lists the state_dict the config describes, with tied copies
args: estimate --tensors @M/openai-community__gpt2.json
exit: 0
stdout-has: transformer.h.11.mlp.c_fc.weight
stdout-has: [768, 3072]
stdout-has: lm_head.weight
stdout-has: ] tied
