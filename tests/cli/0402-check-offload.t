# Llama-2-7b in fp16 is 12.55 GiB of weights: an 8 GiB GPU needs CPU offload
args: check --gpu 8GiB --seq 512 @M/meta-llama__Llama-2-7b-hf.json
exit: 10
stdout-has: CPU offload
stdout-has: quantize to 8 bits (bitsandbytes load_in_8bit): weights 12.55 GiB
