# --revision names a Hugging Face revision; a local path has none
args: estimate --revision main @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr-lines: 1
stderr-has: --revision is for a Hugging Face model id, and this is a local path
