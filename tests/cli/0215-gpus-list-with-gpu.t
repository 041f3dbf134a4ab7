args: gpus --list --gpu h100
exit: 2
stderr: vramfit: --list takes only --json (see 'vramfit gpus --help')
