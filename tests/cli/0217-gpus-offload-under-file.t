# below a regular file nothing can be created: an error, exit 1
setup: printf x > afile
args: gpus --offload-folder @T/afile/sub
exit: 1
stderr: vramfit: @T/afile/sub: cannot measure free space: Not a directory
stdout-empty: yes
