# NeMo 1.x: a tar of model_config.yaml and model_weights.ckpt (torch.save)
setup: cp @F/torch/tied.bin model_weights.ckpt && printf 'name: x\n' > model_config.yaml && tar -cf m.nemo model_config.yaml model_weights.ckpt
args: inspect @T/m.nemo
exit: 0
stdout-has: format        pytorch-zip (1 file)
