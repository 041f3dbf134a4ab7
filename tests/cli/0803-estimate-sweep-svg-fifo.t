# the chart is written atomically, and only to a regular file
setup: mkfifo fifo
args: estimate --sweep batch=1..4 --svg @T/fifo @M/meta-llama__Llama-2-7b-hf.json
exit: 1
stdout-empty: yes
