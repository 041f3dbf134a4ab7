# a full disk fails loudly
args: inspect --json @F/tiny_llama
stdout-to: /dev/full
exit: 1
stderr: vramfit: stdout: write error
