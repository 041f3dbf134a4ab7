# a file shorter than the 8-byte length prefix
setup: printf 'abc' > short.safetensors
args: inspect --json @T/short.safetensors
exit: 1
stderr: vramfit: @T/short.safetensors: file is 3 bytes, too short for a safetensors header
stdout-empty: yes
