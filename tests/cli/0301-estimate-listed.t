# the command table lists estimate
args: --help
exit: 0
stdout-has: estimate
