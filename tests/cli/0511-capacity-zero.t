args: capacity --train --zero 2 @M/meta-llama__Llama-2-7b-hf.json
exit: 2
stderr-lines: 1
stderr-has: capacity chooses --zero and --dp
