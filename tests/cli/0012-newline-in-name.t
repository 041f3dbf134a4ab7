# the error stays one line even when the file name holds a newline
setup: printf 'abc' > "$(printf 'a\nb.safetensors')"
args: inspect "@T/$(printf 'a\nb.safetensors')"
exit: 1
stderr-lines: 1
stderr-has: a?b.safetensors: file is 3 bytes
