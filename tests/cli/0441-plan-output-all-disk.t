# a map with every layer on disk is refused by transformers ("offload the
# whole model to the disk"): plan -o does not write it, exits 11
args: plan --max-memory cpu=1KiB --offload-folder @T/off -o @T/map.json @F/tiny_llama
exit: 11
stderr: vramfit: @T/map.json: no device_map written: every layer would be on disk, which transformers refuses ("offload the whole model to the disk"); give the CPU more memory
after: test ! -e map.json
