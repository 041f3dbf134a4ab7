args: plan --gpu 24GiB
exit: 2
stderr: vramfit: plan takes exactly one PATH (see 'vramfit plan --help')
