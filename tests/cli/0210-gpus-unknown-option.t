args: gpus --frob
exit: 2
stderr: vramfit: unknown option '--frob' (see 'vramfit gpus --help')
stdout-empty: yes
