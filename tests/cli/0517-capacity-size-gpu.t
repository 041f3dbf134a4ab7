# a GPU by size: no bandwidth, so no speed
args: capacity --json --gpu 48GiB --dtype int4 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "gpu":	"48GiB"
stdout-has: "bandwidth":	null
stdout-has: "decode_tokens_per_s":	null
