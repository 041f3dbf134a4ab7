# -o onto a FIFO: refused (rename would have replaced it by a regular file)
setup: mkfifo map.json
args: plan --gpu 24GiB --seq 512 -o @T/map.json @M/openai-community__gpt2.json
exit: 1
stderr: vramfit: @T/map.json: is a FIFO, not a regular file: nothing written
stdout-empty: yes
after: [ -p map.json ]
