# an architecture without an emitter: an estimate marked approximate, and why
setup: printf '{"model_type": "brandnew", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}' > config.json
args: estimate --json @T/config.json
exit: 0
stdout-has: "approximate":	true
stdout-has: model_type \"brandnew\" is not modelled
