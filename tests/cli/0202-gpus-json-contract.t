# the measured machine, GPU or not: exit 0 and the stable keys
# (this machine has no driver; a GPU machine lists devices; both pass)
args: gpus --json
exit: 0
stdout-has: "source":
stdout-has: "devices":
stdout-has: "host":
stdout-has: "ram_available":
stdout-has: "cuda_built":
stdout-has: "nvml":
