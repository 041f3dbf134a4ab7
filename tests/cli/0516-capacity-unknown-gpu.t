args: capacity --gpu nope @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr-lines: 1
stderr-has: 'nope' is not a known GPU
