# --dtype int4 (bitsandbytes 4-bit): block matrices n/2 + an fp32 absmax per 64
# + a 64-byte code; embeddings, head and norms stay bf16.  TinyLlama:
# 262,144,000 (embed + head) + 184,320 (norms) + 22 * 24,773,056 + 128 (inv_freq)
args: estimate --json --dtype int4 @M/TinyLlama__TinyLlama-1.1B-Chat-v1.0.json
exit: 0
stdout-has: "weights":	807335680
stdout-has: "weights_dtype":	"int4"
