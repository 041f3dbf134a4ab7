# the same warning in JSON, for --max-memory cpu=
setup: mkdir a b c && printf "MemTotal: 67108864 kB\\nMemAvailable: 62914560 kB\\n" > a/meminfo && printf "MemTotal: 67108864 kB\\nMemAvailable: 1048576 kB\\n" > b/meminfo && printf "MemTotal: 8388608 kB\\nMemAvailable: 524288 kB\\n" > c/meminfo
env: VF_HOST_ROOT=@T/b
args: plan --json --seq 512 --max-memory cpu=16GiB @M/openai-community__gpt2.json
exit: 0
stdout-has: "the cpu budget (16.00 GiB, --max-memory cpu=) is more than the 1.00 GiB of RAM available here now: loading may swap or be killed"
