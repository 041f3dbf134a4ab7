# a GGUF key whose length is 2^64-1 is refused before anything is allocated
setup: printf 'GGUF\x03\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xffab' > huge.gguf
args: inspect @T/huge.gguf
exit: 1
stderr: vramfit: @T/huge.gguf: string length 18446744073709551615 runs past the end of the file (in key-value pair 0 of 1)
stdout-empty: yes
