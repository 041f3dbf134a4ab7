args: gpus --gpu
exit: 2
stderr: vramfit: option '--gpu' needs a value (see 'vramfit gpus --help')
