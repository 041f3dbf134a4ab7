setup: printf '{"model_type":"mixtral","num_hidden_layers":2,"hidden_size":64,"num_attention_heads":8,"num_local_experts":4,"num_experts_per_tok":5,"vocab_size":256,"intermediate_size":128}' > config.json
args: plan --gpu 24GiB @T/config.json
exit: 1
stderr: vramfit: @T/config.json: "num_experts_per_tok" (5) is more than the 4 experts ("num_local_experts")
