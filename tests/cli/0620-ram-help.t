# --ram is in plan's help (and check's: the same options)
args: check --help
exit: 0
stdout-has:   --ram SIZE          plan for a host with SIZE of RAM for CPU offload, not this
