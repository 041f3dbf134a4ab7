# --timeout needs a value
args: inspect @F/tiny_llama --timeout
exit: 2
stderr-lines: 1
stderr-has: --timeout needs a value
