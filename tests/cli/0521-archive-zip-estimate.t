# a deflated zip: only the headers are inflated
setup: cp -r @F/tiny_llama . && zip -qr m.zip tiny_llama
args: estimate --json @T/m.zip
exit: 0
stdout-has: "source":	"checkpoint"
stdout-has: "format":	"safetensors"
