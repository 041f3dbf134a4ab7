args: inspect @F/empty.safetensors @F/empty.safetensors
exit: 2
stderr: vramfit: inspect takes exactly one PATH (see 'vramfit inspect --help')
