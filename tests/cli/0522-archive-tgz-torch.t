# a PyTorch zip inside a .tar.gz would need random access in the stream
setup: mkdir pt && cp @F/torch/tied.bin pt/pytorch_model.bin && tar -czf pt.tar.gz pt
args: inspect @T/pt.tar.gz
exit: 1
stderr: vramfit: @T/pt.tar.gz/pt/pytorch_model.bin: a PyTorch zip inside a compressed archive needs random access: unpack the archive, or pack it as .tar or a stored .zip (zip -0)
stdout-empty: yes
