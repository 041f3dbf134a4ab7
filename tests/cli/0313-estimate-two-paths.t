args: estimate @M/meta-llama__Llama-2-7b-hf.json @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: estimate takes exactly one PATH (see 'vramfit estimate --help')
