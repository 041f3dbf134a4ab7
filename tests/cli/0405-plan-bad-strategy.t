args: plan --strategy fastest @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --strategy takes balanced or sequential, not 'fastest' (see 'vramfit plan --help')
