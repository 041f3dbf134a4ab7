#!/usr/bin/env bash
# run.sh - data-driven CLI tests (curl's tests/data, jq's jq.test).
#
# usage: run.sh VRAMFIT FIXTURES_DIR [MODELS_DIR]
#
# Each tests/cli/*.t file is one test, made of "key: value" lines:
#   setup: SHELL       run before the command (may repeat)
#   args: ARGS         arguments to vramfit (shell words)
#   stdout-to: FILE    send stdout there instead of capturing it
#   exit: N            expected exit status
#   stderr: TEXT       stderr must be exactly this one line
#   stderr-has: TEXT   stderr contains TEXT
#   stderr-lines: N    stderr has exactly N lines
#   stdout-has: TEXT   stdout contains TEXT (may repeat)
#   stdout-empty: yes  nothing on stdout
#   env: VAR=VALUE     set for the command (may repeat); every run of the
#                      command is killed after 120 s (a hang fails, exit 124)
#   after: SHELL       run in @T after the command; must exit 0 (may repeat),
#                      e.g. to show that an old output file survived
#   same-stdout-env: VAR=VALUE ...  run the command again with these set as
#                      well: stdout must be byte-identical
# In values @F is the fixtures dir, @M the models dir, @T a fresh temp dir.
set -u
# The CLI tests never touch the network: an ORG/NAME not in the HF cache is
# an error here, not a fetch from the Hub (tests/hub/ tests that, on nginx).
export HF_HUB_OFFLINE=1
bin=$(realpath "$1")
fixtures=$(realpath "$2")
models=$(realpath "${3:-$(dirname "$0")/../../../shared/models}")
here=$(dirname "$0")
passed=0
failed=0

for t in "$here"/*.t; do
	tmp=$(mktemp -d)
	sub() { local v=$1; v=${v//@F/$fixtures}; v=${v//@M/$models}; v=${v//@T/$tmp}; printf '%s' "$v"; }
	args="" out_to="" errs=() envs=()
	checks=()
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		'#'* | '') continue ;;
		setup:*) (cd "$tmp" && bash -c "$(sub "${line#setup: }")") ;;
		args:*) args=$(sub "${line#args: }") ;;
		stdout-to:*) out_to=$(sub "${line#stdout-to: }") ;;
		env:*) envs+=("$(sub "${line#env: }")") ;;
		*) checks+=("$(sub "$line")") ;;
		esac
	done <"$t"
	eval "set -- $args"
	if [ -n "$out_to" ]; then
		timeout 120 env ${envs[@]+"${envs[@]}"} "$bin" "$@" >"$out_to" 2>"$tmp/.err"
		rc=$?
		: >"$tmp/.out"
	else
		timeout 120 env ${envs[@]+"${envs[@]}"} "$bin" "$@" >"$tmp/.out" 2>"$tmp/.err"
		rc=$?
	fi
	for c in "${checks[@]}"; do
		key=${c%%: *} val=${c#*: }
		case "$key" in
		exit) [ "$rc" = "$val" ] || errs+=("exit $rc, want $val") ;;
		stderr) [ "$(cat "$tmp/.err")" = "$val" ] && [ "$(wc -l <"$tmp/.err")" = 1 ] ||
			errs+=("stderr '$(cat "$tmp/.err")', want '$val'") ;;
		stderr-has) grep -qF -- "$val" "$tmp/.err" || errs+=("stderr lacks '$val'") ;;
		stderr-lines) [ "$(wc -l <"$tmp/.err")" = "$val" ] ||
			errs+=("stderr has $(wc -l <"$tmp/.err") lines, want $val") ;;
		stdout-has) grep -qF -- "$val" "$tmp/.out" || errs+=("stdout lacks '$val'") ;;
		stdout-empty) [ ! -s "$tmp/.out" ] || errs+=("stdout is not empty") ;;
		after) (cd "$tmp" && bash -c "$val") || errs+=("after: '$val' failed") ;;
		same-stdout-env)
			eval "extra=($val)"
			timeout 120 env ${envs[@]+"${envs[@]}"} "${extra[@]}" "$bin" "$@" >"$tmp/.out2" 2>/dev/null
			cmp -s "$tmp/.out" "$tmp/.out2" || errs+=("stdout differs with $val") ;;
		*) errs+=("unknown check '$key'") ;;
		esac
	done
	if [ ${#errs[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $(basename "$t")"
	else
		failed=$((failed + 1))
		echo "FAIL $(basename "$t")"
		printf '     %s\n' "${errs[@]}"
	fi
	rm -rf "$tmp"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
