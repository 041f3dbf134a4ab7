# -o - writes the map to stdout
args: plan --gpu 24GiB --seq 512 -o - @M/openai-community__gpt2.json
exit: 0
stdout-has: "lm_head":	0
after: [ -z "$(ls)" ]
