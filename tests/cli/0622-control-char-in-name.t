# a control character in a tensor name is escaped in human output (a name
# cannot break the table or fake a line); --json keeps the exact name
setup: python3 -c 'import json,struct; h=json.dumps({"bad\nname.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x\u001b[31m.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}).encode(); open("m.safetensors","wb").write(struct.pack("<Q",len(h))+h+bytes(8))'
args: inspect --tensors @T/m.safetensors
exit: 0
stdout-has: bad\x0aname.weight
stdout-has: x\x1b[31m.weight
after: ! grep -q "$(printf '\033')" .out
after: ! grep -qx 'name.weight.*' .out
