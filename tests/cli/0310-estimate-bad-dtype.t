args: estimate --dtype fp5 @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr: vramfit: --dtype takes fp32, fp16, bf16, fp8, int8 or int4, not 'fp5' (see 'vramfit estimate --help')
