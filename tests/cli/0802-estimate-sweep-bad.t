# a sweep needs FROM..TO
args: estimate --sweep seq=8k @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr-has: --sweep takes seq=FROM..TO or batch=FROM..TO
