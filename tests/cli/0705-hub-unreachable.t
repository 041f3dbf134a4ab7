# an id not in the HF cache is read from HF_ENDPOINT; one that cannot be
# reached is one line (port 9 on 127.0.0.1: nothing listens, nothing leaves the host)
env: HF_ENDPOINT=http://127.0.0.1:9
env: XDG_CACHE_HOME=@T/xdg
env: HF_HUB_OFFLINE=0
args: inspect vramfit-test-org/surely-not-downloaded
exit: 1
stderr-lines: 1
stderr-has: vramfit: vramfit-test-org/surely-not-downloaded: cannot connect to 127.0.0.1:9
stdout-empty: yes
