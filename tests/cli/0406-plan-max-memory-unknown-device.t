args: plan --gpu 24GiB --max-memory 3=20GiB @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --max-memory names device '3', which is not here
