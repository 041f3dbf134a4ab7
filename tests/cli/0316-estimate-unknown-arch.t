# an architecture vramfit does not model is refused from config.json alone,
# never estimated as another family
setup: printf '{"model_type": "brandnew", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}' > config.json
args: estimate --json @T/config.json
exit: 1
stderr-lines: 1
stderr-has: vramfit: @T/config.json: model_type "brandnew" is not modelled by vramfit (it models llama,
stdout-empty: yes
