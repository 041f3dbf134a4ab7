# a map that cannot be written is an error, and nothing half-written is left
args: plan --gpu 24GiB --seq 512 -o @T/no/such/dir/map.json @M/openai-community__gpt2.json
exit: 1
stderr: vramfit: @T/no/such/dir/map.json: cannot write: No such file or directory
