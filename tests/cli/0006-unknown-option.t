args: inspect --frob @F/empty.safetensors
exit: 2
stderr: vramfit: unknown option '--frob' (see 'vramfit inspect --help')
