#!/usr/bin/env bash
# run.sh - the hub tests: vramfit against a real HTTP server (nginx).
#
# usage: run.sh VRAMFIT PYTHON SPARSE_DIR
#
# Generates the repos (gen_repos.py), renders nginx.conf.in with two free
# ports on 127.0.0.1, starts nginx as the current user with every path in a
# temp dir, and stops it on exit, pass or fail (trap).  Nothing else is
# contacted: HF_ENDPOINT is the local nginx, proxies are cleared.
set -u
bin=$(realpath "$1")
py=$2
sparse=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
ngx_pid=""
cleanup() {
	if [ -n "$ngx_pid" ]; then
		kill "$ngx_pid" 2>/dev/null
		wait "$ngx_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$py" "$here/gen_repos.py" "$tmp/gen" "$sparse" || exit 1

. "$here/server.sh"
start_server "$tmp" "$tmp/gen/www" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
log_lines() { cat "$tmp/ngx/access.log" "$tmp/ngx/cdn.log" 2>/dev/null | wc -l; }

# ---- every good repo: the hub equals the disk, and the second run is free ----
while IFS=$'\t' read -r id dir; do
	rm -rf "$XDG_CACHE_HOME"
	"$bin" inspect --json "$dir" >"$tmp/disk.json" 2>"$tmp/disk.err" || { bad "$id: inspect of $dir: $(cat "$tmp/disk.err")"; continue; }
	before=$(log_lines)
	rm -f "$tmp/stats"
	if ! VRAMFIT_HUB_STATS="$tmp/stats" "$bin" inspect --json "$id" >"$tmp/hub.json" 2>"$tmp/hub.err"; then
		bad "$id: $(cat "$tmp/hub.err")"
		continue
	fi
	# the local output names the folder where the hub's names the id
	sed "s|$dir|$id|g" "$tmp/disk.json" >"$tmp/disk2.json"
	if cmp -s "$tmp/disk2.json" "$tmp/hub.json"; then ok; else
		bad "$id: inspect --json differs from the disk's"
		diff <(tr ',' '\n' <"$tmp/disk2.json") <(tr ',' '\n' <"$tmp/hub.json") | head -5
	fi
	first=$(($(log_lines) - before))
	[ "$first" -gt 0 ] && ok || bad "$id: the first run made no request"
	before=$(log_lines)
	"$bin" inspect --json "$id" >"$tmp/hub2.json" 2>&1 && cmp -s "$tmp/hub.json" "$tmp/hub2.json" && ok || bad "$id: second run differs"
	again=$(($(log_lines) - before))
	[ "$again" = 0 ] && ok || bad "$id: the second run made $again requests (the cache should answer)"
	echo "ok: $id ($first requests in the server logs, then $again; vramfit: $(cat "$tmp/stats" 2>/dev/null))"
done <"$tmp/gen/repos.tsv"

# estimate and plan read the hub the same way; plan, after estimate, finds
# everything in the header cache (no request)
while IFS=$'\t' read -r id dir; do
	case "$id" in deepseek-ai/DeepSeek-V3 | tiny/gpt2-tied | meta-llama/Llama-2-7b-hf) ;; *) continue ;; esac
	for cmd in "estimate --json --seq 4096" "plan --json --gpu h200:8 --seq 4096"; do
		# shellcheck disable=SC2086
		"$bin" $cmd "$dir" 2>&1 | sed "s|$dir|$id|g" >"$tmp/disk.out"
		before=$(log_lines)
		# shellcheck disable=SC2086
		"$bin" $cmd "$id" >"$tmp/hub.out" 2>&1
		if cmp -s "$tmp/disk.out" "$tmp/hub.out" && { [ "${cmd%% *}" = estimate ] || [ "$(log_lines)" = "$before" ]; }; then ok; else
			bad "$id: '$cmd' differs from the disk's, or asked the server again"
			diff "$tmp/disk.out" "$tmp/hub.out" | head -5
		fi
	done
done <"$tmp/gen/repos.tsv"

# expect ID EXIT TEXT [VAR=VALUE...] [-- ARGS...]: exit status EXIT, nothing on
# stdout, one stderr line containing TEXT
expect() {
	local id=$1 want=$2 text=$3 envs=() args=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	env "${envs[@]}" "$bin" inspect --json "${args[@]}" "$id" >"$tmp/out" 2>"$tmp/err"
	local rc=$? n
	n=$(wc -l <"$tmp/err")
	if [ "$rc" != "$want" ] || [ "$n" != 1 ] || ! grep -qF -- "$text" "$tmp/err" || [ -s "$tmp/out" ]; then
		bad "$id: exit $rc (want $want), stderr ($n lines): $(head -c 300 "$tmp/err")"
	else
		ok
		echo "ok: $id: $(cat "$tmp/err")"
	fi
}

expect bad/gated 1 "accept the license on the model page"
expect bad/gated 1 "was refused" HF_TOKEN=wrong
rm -rf "$XDG_CACHE_HOME"
: >"$tmp/ngx/cdn.log"
HF_TOKEN=xyz "$bin" inspect --json bad/gated >"$tmp/out" 2>"$tmp/err" && ok || bad "bad/gated with the token: $(cat "$tmp/err")"
grep -q Bearer "$tmp/ngx/cdn.log" && bad "the token was sent to the storage host" || ok
# the token file under HF_HOME works the same
rm -rf "$XDG_CACHE_HOME"
echo xyz >"$HF_HOME/token"
"$bin" inspect --json bad/gated >/dev/null 2>"$tmp/err" && ok || bad "bad/gated with HF_HOME/token: $(cat "$tmp/err")"
rm -f "$HF_HOME/token"

t0=$(date +%s)
expect bad/slow 1 "timed out" -- --timeout 2
expect bad/flaky 1 "HTTP 503"
flaky=$(grep -c "bad/flaky" "$tmp/ngx/access.log")
[ "$flaky" = 4 ] && ok || bad "bad/flaky: $flaky tries, want 4"
expect bad/loop 1 "redirect loop"
expect bad/norange 1 "ignored the Range request"
expect bad/truncated 1 "truncated"
expect bad/nothere 1 "HTTP 404"
expect tiny/llama-st 1 "no such revision" -- --revision nope
expect bad/badjson 1 "hub file list"
expect bad/nosha 1 "no commit"
expect bad/evilname 1 "leaves the repo"
expect bad/huge 1 "larger than asked"
expect tiny/nothere 1 "HF_HUB_OFFLINE" HF_HUB_OFFLINE=1
HF_ENDPOINT=http://127.0.0.1:1 expect tiny/llama-gone 1 "cannot connect"
# https to a plain-HTTP port: the TLS handshake fails
HF_ENDPOINT=https://127.0.0.1:$port expect tiny/llama-tls 1 "TLS failure"
HF_ENDPOINT=ftp://127.0.0.1:$port expect tiny/llama-ftp 2 "not an http(s) URL"

# --revision: the tag names another commit
rm -rf "$XDG_CACHE_HOME"
"$bin" inspect --json --revision v1 tiny/llama-st >"$tmp/v1.json" 2>"$tmp/err" && grep -q "/resolve/$("$py" -c 'import hashlib;print(hashlib.sha1(b"v1").hexdigest())')/" "$tmp/ngx/cdn.log" && ok || bad "--revision v1: $(cat "$tmp/err")"
# offline with the header cache warm: answers, no request
before=$(log_lines)
HF_HUB_OFFLINE=1 "$bin" inspect --json --revision v1 tiny/llama-st >/dev/null 2>"$tmp/err" && [ "$(log_lines)" = "$before" ] && ok || bad "offline from the header cache: $(cat "$tmp/err")"
# --refresh asks again
"$bin" inspect --json --refresh --revision v1 tiny/llama-st >/dev/null 2>"$tmp/err" && [ "$(log_lines)" -gt "$before" ] && ok || bad "--refresh made no request: $(cat "$tmp/err")"
# a corrupt cache entry is ignored and fetched again
for f in $(find "$XDG_CACHE_HOME" -name '*.hdr'); do printf 'garbage' >"$f"; done
"$bin" inspect --json --revision v1 tiny/llama-st >"$tmp/v1b.json" 2>"$tmp/err" && cmp -s "$tmp/v1.json" "$tmp/v1b.json" && ok || bad "corrupt cache entry: $(cat "$tmp/err")"
# a cached snapshot in HF_HUB_CACHE wins over the hub
snap="$HF_HUB_CACHE/models--tiny--llama-st/snapshots/$("$py" -c 'import hashlib;print(hashlib.sha1(b"x").hexdigest())')"
mkdir -p "$snap" "$HF_HUB_CACHE/models--tiny--llama-st/refs"
cp "$tmp/gen/models/tiny__llama-st/"* "$snap/"
basename "$snap" >"$HF_HUB_CACHE/models--tiny--llama-st/refs/main"
before=$(log_lines)
"$bin" inspect --json tiny/llama-st >/dev/null 2>"$tmp/err" && [ "$(log_lines)" = "$before" ] && ok || bad "the HF cache should win: $(cat "$tmp/err")"

echo "hub tests: $passed passed, $failed failed ($(($(date +%s) - t0)) s for the bad servers)"
[ "$failed" = 0 ]
