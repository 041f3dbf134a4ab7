# an --offload-folder that is an existing file is a usage error
setup: printf x > afile
args: plan --gpu 24GiB --offload-folder @T/afile @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: @T/afile: --offload-folder names a file, not a folder
stdout-empty: yes
