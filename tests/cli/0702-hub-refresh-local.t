# --refresh is for the hub; a local path reads as before
args: inspect --refresh --timeout 5 @F/tiny_llama
exit: 0
stdout-has: tensors       111
