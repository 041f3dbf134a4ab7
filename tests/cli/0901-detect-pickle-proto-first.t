# Header length 640 = 0x280: the file starts 0x80 0x02, a pickle's PROTO 2,
# and is safetensors all the same (named .bin, as transformers may name it)
setup: { printf '\x80\x02\0\0\0\0\0\0{"__metadata__":{"a":"'; head -c 615 /dev/zero | tr '\0' x; printf '"}}'; } >h640.bin
args: inspect --json @T/h640.bin
exit: 0
stdout-has: "safetensors"
