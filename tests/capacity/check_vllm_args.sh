#!/usr/bin/env bash
# check_vllm_args.sh VRAMFIT MODELS - every flag (and choice) of the `vllm serve`
# commands capacity prints is one the pinned vLLM version defines
# (tests/data/vllm_args_v0.7.x.txt, taken from its arg_utils.py).
set -u
bin=$(realpath "$1") models=$2
here=$(dirname "$0")
list=$here/../data/vllm_args_v0.7.x.txt
ds=$here/../data/configs/deepseek-ai__DeepSeek-V3
fail=0
run() { "$bin" capacity --all "$@" 2>/dev/null | grep '^  vllm serve ' ; }
{
	run "$models/meta-llama__Llama-2-7b-hf.json"
	run --gpu t4 --gpu a100-80g --kv-cache-dtype fp8 --max-num-seqs 64 "$models/meta-llama__Llama-2-7b-hf.json"
	run --gpu h200:8 --batch 16 --seq 32k --gen 0 "$ds/config.json"
	run --gpu a100-80g --dtype int8 "$models/Qwen__Qwen3-30B-A3B.json"
	run --gpu l4 --dtype int4 --max-num-batched-tokens 4k "$models/mistralai__Mistral-7B-v0.1.json"
} >"${TMPDIR:-/tmp}/vf_vllm_cmds.$$"
n=0
while read -r _ _ _ args; do
	n=$((n + 1))
	set -- $args
	while [ $# -gt 0 ]; do
		f=$1
		shift
		case $f in --*) ;; *) continue ;; esac
		grep -qx -- "$f" "$list" || { echo "not a vLLM 0.7.x flag: $f"; fail=1; }
		choices=$(grep -- "^=$f " "$list" | cut -d' ' -f2-)
		if [ -n "$choices" ] && [ $# -gt 0 ]; then
			case " $choices " in *" $1 "*) ;; *) echo "$f $1: not one of $choices"; fail=1 ;; esac
		fi
	done
done <"${TMPDIR:-/tmp}/vf_vllm_cmds.$$"
rm -f "${TMPDIR:-/tmp}/vf_vllm_cmds.$$"
[ "$n" -ge 5 ] || { echo "only $n vllm serve commands printed"; fail=1; }
[ $fail = 0 ] && echo "vllm args: $n commands, every flag defined by vLLM 0.7.x"
exit $fail
