# a workload that makes no sense is a usage error
args: estimate --train --engine vllm @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: @M/openai-community__gpt2.json: vLLM does not train: use --engine hf or hf436
