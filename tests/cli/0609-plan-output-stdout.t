# -o - writes the map alone to stdout, for a pipe: a JSON object and nothing
# else (no report), and no file
setup: true
args: plan --gpu 24GiB --seq 512 -o - @M/openai-community__gpt2.json
stdout-to: @T/out.json
exit: 0
after: python3 -c 'import json; m = json.load(open("out.json")); assert m["lm_head"] == 0 and "transformer.h.0" in m, m'
after: [ "$(ls)" = out.json ]
