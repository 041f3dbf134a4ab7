# --gpu without --ram: a host like this one at rest (its RAM less 10%), never
# what is free right now: hosts a and b differ only in MemAvailable
setup: mkdir a b c && printf "MemTotal: 67108864 kB\\nMemAvailable: 62914560 kB\\n" > a/meminfo && printf "MemTotal: 67108864 kB\\nMemAvailable: 1048576 kB\\n" > b/meminfo && printf "MemTotal: 8388608 kB\\nMemAvailable: 524288 kB\\n" > c/meminfo
env: VF_HOST_ROOT=@T/a
args: plan --json --gpu 8GiB --seq 512 @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "available":	68719476736,
stdout-has: "budget":	61847529063,
same-stdout-env: VF_HOST_ROOT=@T/b
