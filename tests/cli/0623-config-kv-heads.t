# config values transformers refuses are refused naming the field
setup: printf '{"model_type":"llama","architectures":["LlamaForCausalLM"],"num_hidden_layers":2,"hidden_size":64,"num_attention_heads":8,"num_key_value_heads":3,"intermediate_size":128,"vocab_size":256}' > config.json
args: estimate @T/config.json
exit: 1
stderr: vramfit: @T/config.json: "num_key_value_heads" (3) does not divide "num_attention_heads" (8): each key/value head serves a whole group of attention heads
stdout-empty: yes
