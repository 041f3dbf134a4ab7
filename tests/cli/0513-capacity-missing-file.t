args: capacity @T/nope
exit: 1
stderr-lines: 1
stderr-has: nope: cannot open
stdout-empty: yes
