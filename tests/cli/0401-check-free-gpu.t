# the same model on a free 8 GiB GPU: exit 0
args: check --gpu 8GiB @M/google-bert__bert-large-uncased.json
exit: 0
stdout-has: verdict       gpu: all on GPU: full speed
