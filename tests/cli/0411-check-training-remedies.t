# full fine-tuning of a 7B model with AdamW needs ~16 bytes a parameter
# (6.74e9 x 16 = 100 GiB): on one 80 GiB GPU the remedies are computed
args: check --train --seq 512 --gpu h100 --no-disk --max-memory cpu=8GiB @M/meta-llama__Llama-2-7b-hf.json
exit: 11
stdout-has: 8-bit AdamW (bitsandbytes): optimizer states 4x smaller
