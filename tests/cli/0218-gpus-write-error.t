# a full disk fails loudly
args: gpus --json --gpu t4
stdout-to: /dev/full
exit: 1
stderr: vramfit: stdout: write error
