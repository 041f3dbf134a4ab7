# plan -o when nothing fits even with offload: no map, exit 11, one line
args: plan --gpu 10GiB --no-disk --max-memory cpu=1GiB -o @T/map.json @M/Qwen__Qwen3-30B-A3B.json
exit: 11
stderr: vramfit: @T/map.json: no device_map written: the model does not fit even with CPU/disk offload
after: test ! -e map.json
