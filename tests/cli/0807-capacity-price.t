# prices: cost per hour and per million generated tokens, cheapest first (the
# cheapest dtype of each GPU: int4; $/Mtok = 0.40 / (79.8 x 3600) x 1e6 = 1.392)
setup: printf '# GPU price per hour\nh100 2.49\nrtx4090=0.40\n' > prices
args: capacity --gpu h100 --gpu rtx4090 --price-file @T/prices @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has:      $/h   $/Mtok
stdout-has:      1     1   1   1  rtx4090        int4        7.75 GiB   24.0 GiB     79.8     8.7      8     0.40    1.392
stdout-has:      1     1   1   1  h100-sxm       int4        7.85 GiB   79.6 GiB    265.2    33.7     33     2.49    2.608
