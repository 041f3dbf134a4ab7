# torch.save(..., pickle_protocol=1) writes torch's magic number as text
setup: printf 'L119547037146038801333356L\n.' >old.pt
args: inspect @T/old.pt
exit: 1
stderr: vramfit: @T/old.pt: a PyTorch file saved with pickle protocol 0 or 1, which vramfit does not read (re-save it with torch.save's default protocol)
