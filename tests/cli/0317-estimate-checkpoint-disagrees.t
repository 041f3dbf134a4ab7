# a checkpoint whose config says otherwise: the estimate says so
setup: cp @F/tiny_llama/* . && sed -i 's/"intermediate_size": *[0-9]*/"intermediate_size": 96/' config.json
args: estimate @T
exit: 0
stdout-has: warning: checkpoint and config.json disagree
stdout-has: another shape
