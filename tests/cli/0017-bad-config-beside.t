# a broken config.json beside a checkpoint is an error, not silently skipped
setup: mkdir m && cp @F/gpt2_style.safetensors m/ && printf '{"n_layer": "twelve"}' > m/config.json
args: inspect @T/m
exit: 1
stderr: vramfit: @T/m/config.json: "n_layer" is not a non-negative integer below 2^40
