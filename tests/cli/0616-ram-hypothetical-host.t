# --ram with --gpu plans for another host: the map is the same whatever this
# machine's RAM (replayed hosts a, c: 60 GiB of 64 free, 512 MiB of 8 free)
setup: mkdir a b c && printf "MemTotal: 67108864 kB\\nMemAvailable: 62914560 kB\\n" > a/meminfo && printf "MemTotal: 67108864 kB\\nMemAvailable: 1048576 kB\\n" > b/meminfo && printf "MemTotal: 8388608 kB\\nMemAvailable: 524288 kB\\n" > c/meminfo
env: VF_HOST_ROOT=@T/a
args: plan --json --gpu 8GiB --seq 512 --ram 16GiB @M/meta-llama__Llama-2-7b-hf.json
exit: 0
stdout-has: "verdict":	"offload"
stdout-has: "budget":	17179869184,
stdout-has: "model.layers.31":	"cpu"
same-stdout-env: VF_HOST_ROOT=@T/c
