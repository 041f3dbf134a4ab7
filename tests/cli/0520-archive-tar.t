# a tar of a model folder, read in place (stored members are byte ranges)
setup: tar -cf m.tar -C @F tiny_llama
args: inspect --json @T/m.tar
exit: 0
stdout-has: "tensors":	111,
stdout-has: "files":	["@T/m.tar/tiny_llama/model-00001-of-00002.safetensors"
stdout-has: "model_type":	"llama"
