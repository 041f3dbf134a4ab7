# the command table lists capacity
args: --help
exit: 0
stdout-has: capacity   which GPUs, how many, how fast
