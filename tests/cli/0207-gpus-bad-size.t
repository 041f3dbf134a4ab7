args: gpus --gpu 8XB
exit: 2
stderr-lines: 1
stderr-has: vramfit: --gpu '8XB': '8XB' is not a size (use an integer for bytes
stdout-empty: yes
