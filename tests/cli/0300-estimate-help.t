# estimate --help: usage on stdout, exit 0
args: estimate --help
exit: 0
stdout-has: usage: vramfit estimate [options] PATH
stdout-has: --engine E
