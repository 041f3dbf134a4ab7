# capacity chooses the count
args: capacity --gpu h100:8 @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr-lines: 1
stderr-has: capacity chooses the count
stdout-empty: yes
