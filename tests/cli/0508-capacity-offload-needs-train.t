args: capacity --offload all @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr: vramfit: --offload describes training (--train) (see 'vramfit capacity --help')
stdout-empty: yes
