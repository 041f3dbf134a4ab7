# --timeout takes seconds; anything else is wrong usage, before any network
args: inspect --timeout 0 vramfit-test-org/never-fetched
exit: 2
stderr-lines: 1
stderr-has: --timeout takes seconds (0.1 to 86400), not '0'
stdout-empty: yes
