# the table: every term in GiB with two decimals, then the peak
args: estimate --seq 2048 @M/TinyLlama__TinyLlama-1.1B-Chat-v1.0.json
exit: 0
stdout-has: parameters    1,100,048,384
stdout-has:   weights              2.05
stdout-has:   kv_cache             0.04
stdout-has:   total (peak)
