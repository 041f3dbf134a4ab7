args: plan --ram lots @M/openai-community__gpt2.json
exit: 2
stderr-has: vramfit: --ram: 'lots' is not a size
stderr-lines: 1
