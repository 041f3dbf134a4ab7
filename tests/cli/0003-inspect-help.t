args: inspect --help
exit: 0
stdout-has: usage: vramfit inspect [--json] [--tensors] PATH
