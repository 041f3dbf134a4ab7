# a GGUF tensor with more dimensions than ggml has (GGML_MAX_DIMS is 4)
setup: printf 'GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x13\0\0\0\0\0\0\0blk.0.attn_q.weight\x05\0\0\0' > dims.gguf
args: inspect --json @T/dims.gguf
exit: 1
stderr: vramfit: @T/dims.gguf: tensor "blk.0.attn_q.weight" has 5 dimensions (at most 4)
stdout-empty: yes
