# -o writes the device_map alone, as from_pretrained takes it
args: plan --gpu 24GiB --seq 512 -o @T/map.json @M/mistralai__Mistral-7B-v0.1.json
exit: 0
stdout-has: wrote @T/map.json
