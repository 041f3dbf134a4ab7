# --variant names files from_pretrained(variant=) would read; none here
args: inspect --variant fp16 @F/tiny_llama
exit: 1
stderr-has: no model.fp16.safetensors, model.safetensors.index.fp16.json, pytorch_model.fp16.bin or pytorch_model.bin.index.fp16.json (--variant fp16)
