# a FIFO named as the index itself
setup: mkfifo model.safetensors.index.json
args: inspect @T/model.safetensors.index.json
exit: 1
stderr: vramfit: @T/model.safetensors.index.json: not a regular file
stdout-empty: yes
