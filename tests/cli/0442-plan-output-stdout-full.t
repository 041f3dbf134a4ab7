# stdout on a full disk: an error, and the previous map is left as it was
setup: printf '{"old": 1}\n' > map.json
args: plan --gpu 24GiB -o @T/map.json @F/tiny_llama
stdout-to: /dev/full
exit: 1
stderr: vramfit: stdout: write error
after: grep -q '"old": 1' map.json
