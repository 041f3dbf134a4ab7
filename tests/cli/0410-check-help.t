args: check --help
exit: 0
stdout-has: exit status: 0 fits on the GPU(s), 10 runs only with CPU/disk offload,
stdout-has: --max-memory SPEC
stdout-has: --seq N
