# no room anywhere: 1 GiB GPU, 1 GiB of RAM, no disk
args: check --gpu 1GiB --max-memory cpu=1GiB --no-disk --seq 512 @M/meta-llama__Llama-2-7b-hf.json
exit: 11
stdout-has: does not fit, even with offload
stdout-has: more memory: about
