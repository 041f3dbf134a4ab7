# a config.json alone describes the architecture
args: inspect --json @M/mistralai__Mistral-7B-v0.1.json
exit: 0
stdout-has: "format":	"config"
stdout-has: "sliding_window":	4096
stdout-has: "num_kv_heads":	8
