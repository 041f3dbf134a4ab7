# an empty item (two commas) is a usage error, not skipped
args: plan --gpu 24GiB --max-memory 0=1GiB,,cpu=2GiB @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --max-memory: an item is empty in '0=1GiB,,cpu=2GiB'
stdout-empty: yes
