# HF_HUB_OFFLINE=1: an id in neither cache is an error naming where it looked,
# and nothing asks the network
env: HF_HUB_OFFLINE=1
env: HF_ENDPOINT=http://127.0.0.1:9
args: inspect vramfit-test-org/surely-not-downloaded
exit: 1
stderr-lines: 1
stderr-has: vramfit: vramfit-test-org/surely-not-downloaded: no such file or directory, and not in the Hugging Face cache
stderr-has: HF_HUB_OFFLINE is set, so the hub is not asked
stdout-empty: yes
