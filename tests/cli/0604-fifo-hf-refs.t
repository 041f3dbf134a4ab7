# a Hugging Face cache whose refs/main is a FIFO: one line naming it, no hang
# (not "revision main is not in the cache": the file is there)
setup: mkdir -p hf/models--org--name/refs hf/models--org--name/snapshots && mkfifo hf/models--org--name/refs/main
env: HF_HUB_CACHE=@T/hf
env: HF_HUB_OFFLINE=1
args: inspect org/name
exit: 1
stderr-lines: 1
stderr: vramfit: @T/hf/models--org--name/refs/main: not a regular file
stdout-empty: yes
