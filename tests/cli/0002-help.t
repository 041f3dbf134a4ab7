# --help lists the commands and exit codes
args: --help
exit: 0
stdout-has: inspect
stdout-has: exit status
