# -o onto a directory: refused
setup: mkdir map.json
args: check --gpu 24GiB --seq 512 -o @T/map.json @M/openai-community__gpt2.json
exit: 1
stderr: vramfit: @T/map.json: is a directory, not a regular file: nothing written
stdout-empty: yes
after: [ -d map.json ] && [ -z "$(ls -A map.json)" ]
