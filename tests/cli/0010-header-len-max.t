# a header length of 2^64-1 is refused before anything is allocated
setup: printf '\xff\xff\xff\xff\xff\xff\xff\xff{}' > huge.safetensors
args: inspect @T/huge.safetensors
exit: 1
stderr: vramfit: @T/huge.safetensors: header length 18446744073709551615 is more than the 100000000 allowed
stdout-empty: yes
