args: estimate --bogus @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr: vramfit: unknown option '--bogus' (see 'vramfit estimate --help')
stdout-empty: yes
