# a FIFO where an index names a shard: refused, not waited on
setup: cp -r @F/tiny_llama m && rm m/model-00002-of-00002.safetensors && mkfifo m/model-00002-of-00002.safetensors
args: inspect @T/m/model.safetensors.index.json
exit: 1
stderr: vramfit: @T/m/model-00002-of-00002.safetensors: not a regular file
stdout-empty: yes
