# capacity --help: usage on stdout, exit 0
args: capacity --help
exit: 0
stdout-has: usage: vramfit capacity [options] PATH
stdout-has: --efficiency F
stdout-has: --revision REV
stdout-has: --offload WHERE
