# estimate --layers escapes control characters in layer names
setup: python3 -c 'import json,struct; h=json.dumps({"x\u001b[31m.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}).encode(); open("m.safetensors","wb").write(struct.pack("<Q",len(h))+h+bytes(4))'
args: estimate --layers @T/m.safetensors
exit: 0
stdout-has: x\x1b[31m
after: ! grep -q "$(printf '\033')" .out
