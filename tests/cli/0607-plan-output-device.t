# -o onto a device node: refused, the device stays
args: plan --gpu 24GiB --seq 512 -o /dev/null @M/openai-community__gpt2.json
exit: 1
stderr: vramfit: /dev/null: is a device, not a regular file: nothing written
stdout-empty: yes
after: [ -c /dev/null ]
