args: gpus --gpu h1000
exit: 2
stderr: vramfit: --gpu 'h1000': 'h1000' is not a known GPU (see 'vramfit gpus --list') nor a size like 24GiB (see 'vramfit gpus --help')
