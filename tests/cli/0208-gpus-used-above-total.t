args: gpus --gpu 8GiB,used=9GiB
exit: 2
stderr: vramfit: --gpu '8GiB,used=9GiB': used= is more than the GPU's total (see 'vramfit gpus --help')
