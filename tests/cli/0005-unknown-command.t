args: frobnicate x
exit: 2
stderr: vramfit: unknown command 'frobnicate' (see 'vramfit --help')
