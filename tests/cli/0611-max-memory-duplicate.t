# one device named twice is a usage error
args: plan --gpu 24GiB --max-memory 0=1GiB,0=2GiB @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --max-memory names device '0' twice
stdout-empty: yes
