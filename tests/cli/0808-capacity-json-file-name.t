# a JSON file not named config.json: vllm serve gets the id from _name_or_path, or a placeholder and a note
args: capacity --gpu h100 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: vllm serve meta-llama/Llama-2-7b-hf
