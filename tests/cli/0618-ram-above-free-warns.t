# measured devices with a cpu budget above the RAM free here: kept, and warned about
setup: mkdir a b c && printf "MemTotal: 67108864 kB\\nMemAvailable: 62914560 kB\\n" > a/meminfo && printf "MemTotal: 67108864 kB\\nMemAvailable: 1048576 kB\\n" > b/meminfo && printf "MemTotal: 8388608 kB\\nMemAvailable: 524288 kB\\n" > c/meminfo
env: VF_HOST_ROOT=@T/b
args: plan --seq 512 --ram 16GiB @M/openai-community__gpt2.json
exit: 0
stdout-has: warning: the cpu budget (16.00 GiB, --ram) is more than the 1.00 GiB of RAM available here now: loading may swap or be killed
