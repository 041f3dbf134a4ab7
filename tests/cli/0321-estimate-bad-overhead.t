args: estimate --overhead 1.5XB @M/openai-community__gpt2.json
exit: 2
stderr-lines: 1
stderr-has: '1.5XB' is not a size
