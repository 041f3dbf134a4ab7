# layers in execution order, numeric (layers.11 after layers.2)
args: inspect @F/tiny_llama
exit: 0
stdout-has: format        safetensors (2 files)
stdout-has: tensors       111
stdout-has: 14  lm_head
stdout-has: 12  model.layers.11
stdout-has: architecture  llama (LlamaForCausalLM)
