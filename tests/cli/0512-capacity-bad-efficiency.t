args: capacity --efficiency 1.5 @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr: vramfit: --efficiency takes a number above 0 and at most 1, not '1.5' (see 'vramfit capacity --help')
