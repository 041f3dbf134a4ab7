# a GGUF model gets llama.cpp's arguments instead of a device_map
args: plan --gpu 24GiB @F/gguf/llama_q4km.gguf
exit: 0
stdout-has: llama.cpp     -ngl
