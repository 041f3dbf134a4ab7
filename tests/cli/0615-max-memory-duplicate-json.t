# "0" and "00" are one GPU to accelerate: named twice
args: plan --gpu 24GiB --max-memory 0=1GiB,00=2GiB @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --max-memory names device '0' twice
