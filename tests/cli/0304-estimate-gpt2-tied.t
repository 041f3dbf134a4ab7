# gpt2: 124,439,808 with the head tied to wte; the head is a layer of 0 bytes
args: estimate --json --layers @M/openai-community__gpt2.json
exit: 0
stdout-has: "total":	124439808
stdout-has: "tied_to":	"transformer.wte"
