# A FIFO named config.json beside the weights is refused, not waited on and
# not taken as absent
setup: cp @F/tiny_llama/*.safetensors . && mkfifo config.json
args: inspect @T
exit: 1
stderr: vramfit: @T/config.json: not a regular file
