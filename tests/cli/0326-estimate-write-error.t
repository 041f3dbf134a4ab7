# a full disk fails loudly
args: estimate --json @M/openai-community__gpt2.json
stdout-to: /dev/full
exit: 1
stderr: vramfit: stdout: write error
