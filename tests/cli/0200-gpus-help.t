# gpus --help shows the usage and the --gpu forms
args: gpus --help
exit: 0
stdout-has: usage: vramfit gpus [--json] [--gpu SPEC]... [--offload-folder DIR]
stdout-has: 8GiB,used=7.8GiB
