# A Trainer's output folder: pytorch_model.bin beside training_args.bin (and
# rng_state.pth) is the model; it was "2 PyTorch files and no index"
setup: cp @F/torch/tied.bin pytorch_model.bin && cp @F/torch/train.pt training_args.bin && cp @F/torch/train.pt rng_state.pth
args: inspect --json @T
exit: 0
stdout-has: /pytorch_model.bin"
