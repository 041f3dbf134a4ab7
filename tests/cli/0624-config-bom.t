# a UTF-8 byte order mark: json.loads (so transformers) refuses it
setup: printf '\357\273\277{"model_type":"llama"}' > config.json
args: estimate @T/config.json
exit: 1
stderr: vramfit: @T/config.json: config starts with a UTF-8 byte order mark, which JSON does not allow
