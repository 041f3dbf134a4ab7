# "a100" is 40 or 80 GB: refused rather than guessed
args: gpus --gpu a100
exit: 2
stderr: vramfit: --gpu 'a100': 'a100' is ambiguous: say a100-80g, a100-80g-pcie, a100-40g (see 'vramfit gpus --help')
stdout-empty: yes
