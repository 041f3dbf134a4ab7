setup: printf 'hello, this is only text' > notes.bin
args: inspect @T/notes.bin
exit: 1
stderr: vramfit: @T/notes.bin: not a recognised checkpoint (safetensors, PyTorch, GGUF, an index, or config.json)
