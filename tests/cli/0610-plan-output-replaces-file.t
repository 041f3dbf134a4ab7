# -o onto an existing regular file replaces it, and leaves no temporary file
setup: printf old > map.json
args: plan --gpu 24GiB --seq 512 -o @T/map.json @M/openai-community__gpt2.json
exit: 0
after: grep -q '"lm_head":	0' map.json
after: [ "$(ls)" = map.json ]
