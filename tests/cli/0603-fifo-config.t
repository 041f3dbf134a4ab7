# a FIFO named config.json, for estimate
setup: mkfifo config.json
args: estimate @T/config.json
exit: 1
stderr: vramfit: @T/config.json: not a regular file
stdout-empty: yes
