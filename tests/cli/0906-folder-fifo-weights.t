# A FIFO named model.safetensors is the file from_pretrained would open: refused
setup: mkfifo model.safetensors
args: inspect @T
exit: 1
stderr: vramfit: @T/model.safetensors: not a regular file
