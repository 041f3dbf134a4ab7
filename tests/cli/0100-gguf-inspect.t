# a GGUF written by the gguf package: ggml block types, llama.cpp tensor names
# in execution order, the architecture from the GGUF metadata
args: inspect @F/gguf/llama_q4km.gguf
exit: 0
stdout-has: format        gguf (1 file)
stdout-has: tensors       30
stdout-has: architecture  llama
stdout-has: layers 3, hidden 256, heads 4 (kv 2, head_dim 64), intermediate 512, vocab 32
stdout-has:   Q4_K                1              8,192     4.50 KiB
stdout-has: 0  token_embd
stdout-has: 3  blk.2
stdout-has: 4  output_norm
stdout-has: 5  output 
