# --overhead takes accelerate's size strings
args: estimate --json --overhead 1GiB @M/openai-community__gpt2.json
exit: 0
stdout-has: "cuda_context":	1073741824
