# -o onto a symbolic link: refused, the link and what it points to unchanged
setup: printf old > target && ln -s target map.json
args: plan --gpu 24GiB --seq 512 -o @T/map.json @M/openai-community__gpt2.json
exit: 1
stderr: vramfit: @T/map.json: is a symbolic link, not a regular file: nothing written
stdout-empty: yes
after: [ -L map.json ] && [ "$(cat target)" = old ]
after: ! ls | grep -q tmp-
