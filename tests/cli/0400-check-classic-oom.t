# the classic report: bert-large-uncased (fp32, 335M params = 1.25 GiB) on an
# 8 GiB GPU with 7.8 GiB already used: not on the GPU; remedies say why
args: check --gpu 8GiB,used=7.8GiB @M/google-bert__bert-large-uncased.json
exit: 10
stdout-has: 204.80 MiB free (7.80 GiB in use)
stdout-has: 1. free the 7.80 GiB other processes hold on the GPU (nvidia-smi lists them): then it fits on the GPU
stdout-has: verdict       offload
