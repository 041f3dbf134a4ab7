#!/usr/bin/env bash
# bench.sh - bytes, requests and time of reading DeepSeek-V3 (163 shards,
# real-size sparse layout) by id from a local nginx, against what the headers
# weigh, and against a sequential Python reader doing the same range requests
# one after another (how simple tools do it).  Not a test: prints a markdown
# table.  No delay is added (the 20 ms netem part of issue 15 is not done).
#
# usage: bench.sh VRAMFIT PYTHON SPARSE_DIR [REPO]
set -u
bin=$(realpath "$1")
py=$2
sparse=$(realpath "$3")
repo=${4:-deepseek-ai/DeepSeek-V3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
ngx_pid=""
cleanup() {
	[ -n "$ngx_pid" ] && kill "$ngx_pid" 2>/dev/null && wait "$ngx_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
"$py" "$here/gen_repos.py" "$tmp/gen" "$sparse" >/dev/null || exit 1
. "$here/server.sh"
start_server "$tmp" "$tmp/gen/www" || exit 1
dir=$(awk -F'\t' -v r="$repo" '$1 == r { print $2 }' "$tmp/gen/repos.tsv")
[ -n "$dir" ] || { echo "bench: $repo is not in $sparse"; exit 1; }

# what the headers weigh: every shard's 8 + header length, and the JSON files
need=$("$py" - "$dir" <<'PY'
import os, struct, sys
d = sys.argv[1]; n = 0; shards = 0
for f in os.listdir(d):
    p = os.path.join(d, f)
    if f.endswith(".safetensors"):
        with open(p, "rb") as fp:
            n += 8 + struct.unpack("<Q", fp.read(8))[0]
        shards += 1
    elif f in ("config.json", "model.safetensors.index.json"):
        n += os.path.getsize(p)
print(n, shards)
PY
)
set -- $need
need_bytes=$1 shards=$2

# served body bytes and requests, from both servers' logs
served() { awk '{ if ($0 ~ /auth=/) b += $2; else b += $10 } END { print b + 0, NR }' "$tmp/ngx/access.log" "$tmp/ngx/cdn.log"; }
reset_logs() { : >"$tmp/ngx/access.log"; : >"$tmp/ngx/cdn.log"; }
now() { date +%s.%N; }

row() { # name, seconds, bytes, requests
	awk -v n="$1" -v t="$2" -v b="$3" -v r="$4" -v need="$need_bytes" -v sh="$shards" \
		'BEGIN { printf "| %s | %.3f | %d | %.3f | %d | %.2f |\n", n, t, b, b / need, r, r / sh }'
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
echo "$repo: $shards shards; headers + index + config = $need_bytes bytes"
echo
echo "| reader | seconds | bytes served | x headers | requests (with redirects) | per shard |"
echo "|---|---|---|---|---|---|"
for cmd in "inspect --json" "plan --json --gpu h200:8 --seq 8192"; do
	rm -rf "$XDG_CACHE_HOME"
	reset_logs
	t0=$(now)
	# shellcheck disable=SC2086
	"$bin" $cmd "$repo" >/dev/null || exit 1
	t1=$(now)
	set -- $(served)
	row "vramfit $cmd (cold cache)" "$(elapsed "$t0" "$t1")" "$1" "$2"
done
reset_logs
t0=$(now)
"$bin" plan --json --gpu h200:8 --seq 8192 "$repo" >/dev/null || exit 1
t1=$(now)
set -- $(served)
row "vramfit plan (warm header cache)" "$(elapsed "$t0" "$t1")" "$1" "$2"

# the sequential reader: for each shard, bytes 0-7, then the header
reset_logs
t0=$(now)
"$py" - "$HF_ENDPOINT" "$repo" <<'PY' || exit 1
import json, struct, sys, urllib.request
ep, repo = sys.argv[1], sys.argv[2]
info = json.load(urllib.request.urlopen(f"{ep}/api/models/{repo}/revision/main"))
sha = info["sha"]
def get(name, rng=None):
    rq = urllib.request.Request(f"{ep}/{repo}/resolve/{sha}/{name}")
    if rng:
        rq.add_header("Range", "bytes=%d-%d" % rng)
    return urllib.request.urlopen(rq).read()
get("config.json")
idx = json.loads(get("model.safetensors.index.json"))
for shard in sorted(set(idx["weight_map"].values())):
    n = struct.unpack("<Q", get(shard, (0, 7)))[0]
    json.loads(get(shard, (8, 8 + n - 1)))
PY
t1=$(now)
set -- $(served)
row "sequential Python (urllib, 2 ranges per shard)" "$(elapsed "$t0" "$t1")" "$1" "$2"
