# the top-level help lists the gpus command
args: --help
exit: 0
stdout-has: gpus
