# --version names the program and version
args: --version
exit: 0
stdout-has: vramfit 0.1.0
