args: gpus model.safetensors
exit: 2
stderr: vramfit: gpus takes no PATH ('model.safetensors') (see 'vramfit gpus --help')
