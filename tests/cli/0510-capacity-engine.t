args: capacity --engine hf @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr: vramfit: capacity plans serving with vLLM: --engine takes vllm here (see 'vramfit capacity --help')
