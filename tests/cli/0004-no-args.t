# no command is wrong usage
args:
exit: 2
stdout-empty: yes
