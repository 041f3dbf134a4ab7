args: estimate --seq
exit: 2
stderr: vramfit: option '--seq' needs a value (see 'vramfit estimate --help')
