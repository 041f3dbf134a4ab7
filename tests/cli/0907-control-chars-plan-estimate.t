# control characters in layer names are escaped in plan's and estimate's
# human tables too (inspect: 0622)
setup: python3 -c 'import json,struct; h=json.dumps({"bad\nname.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x\u001b[31m.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}).encode(); open("m.safetensors","wb").write(struct.pack("<Q",len(h))+h+bytes(8))'
args: plan --gpu 1GiB @T/m.safetensors
exit: 0
stdout-has: bad\x0aname
stdout-has: x\x1b[31m
after: ! grep -q "$(printf '\033')" .out
