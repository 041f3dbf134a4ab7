# a FIFO given as PATH is refused at once (opening it does not wait for a writer)
setup: mkfifo p
args: inspect @T/p
exit: 1
stderr: vramfit: @T/p: not a regular file
stdout-empty: yes
