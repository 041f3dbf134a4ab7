args: capacity --json --gpu l4 @M/meta-llama__Llama-2-7b-hf.json
stdout-to: /dev/full
exit: 1
stderr: vramfit: stdout: write error
