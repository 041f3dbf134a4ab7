# a known family without a size it needs: one line, exit 1, no guess
setup: printf '{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}' > config.json
args: estimate @T/config.json
exit: 1
stderr: vramfit: @T/config.json: the config lacks "intermediate_size" (or it is 0), which a llama model needs
stdout-empty: yes
