args: inspect --revision
exit: 2
stderr: vramfit: --revision needs a value (see 'vramfit inspect --help')
