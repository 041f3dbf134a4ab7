args: inspect @T/nope.safetensors
exit: 1
stderr: vramfit: @T/nope.safetensors: cannot open: No such file or directory
stdout-empty: yes
