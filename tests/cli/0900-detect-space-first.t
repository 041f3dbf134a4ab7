# A safetensors header of 32 bytes: the file starts with 0x20 (a space), and
# is still safetensors (8-byte length, '{' at byte 8, inside the file)
setup: printf '\x20\0\0\0\0\0\0\0{"__metadata__":{"a":"bbbbbbb"}}' >h32
args: inspect --json @T/h32
exit: 0
stdout-has: "safetensors"
stdout-has: "bbbbbbb"
