#!/bin/sh
# bench/profile.sh - where vramfit's time goes on the largest checkpoint.
#
#   bench/profile.sh [VRAMFIT] [CHECKPOINT] [COMMAND...]
#   (defaults: ./vramfit build/bench/deepseek-v3 inspect --json)
#
# 1. callgrind (instruction counts: exact and independent of other load):
#    inclusive cost of the functions that matter;
# 2. perf record (cpu-clock samples with DWARF call graphs; this VM has no
#    hardware counters): the self-time table;
# 3. page faults (perf stat), which cost a third of the run before big blocks
#    were made huge-page friendly (common/mem.c).
# Needs valgrind and perf; writes into build/bench-profile/.
set -eu
VF=${1:-./vramfit}
CK=${2:-build/bench/deepseek-v3}
shift 2 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- inspect --json
OUT=build/bench-profile
mkdir -p "$OUT"

echo "== callgrind: $VF $* $CK"
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "$VF" "$@" "$CK" \
	>/dev/null 2>"$OUT/callgrind.log"
grep -E "Collected|refs" "$OUT/callgrind.log" | tail -1
callgrind_annotate --tree=caller --inclusive=yes "$OUT/callgrind.out" 2>/dev/null |
	grep -E '\*  .*:(vf_model_open_opts|vf_index_read|vf_shards_finish|run_next|st_parse|st_commit|check_shards|vf_jscan_string|vf_jscan_key|vf_jscan_uint|number|vf_model_add_tensor_h|vf_strmap_put_h|vf_strmap_get_many|vf_file_slurp|vf_layers_group|vf_estimate|plan_solve|vf_run_layers|print_json) ' |
	sed 's/ \[.*\]$//' | head -40

if perf stat -e cpu-clock true >/dev/null 2>&1; then
	echo "== perf (cpu-clock samples, self time)"
	perf record -q -F 4000 --call-graph dwarf,16384 -o "$OUT/perf.data" "$VF" "$@" "$CK" \
		>/dev/null 2>"$OUT/perf.log" || true
	perf report -i "$OUT/perf.data" --no-children --stdio -g none --percent-limit 1 \
		2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
	echo "== perf (inclusive)"
	perf report -i "$OUT/perf.data" --children --stdio -g none --percent-limit 3 \
		2>/dev/null | grep -v '^#' | grep -v '^$' | grep -v 'inlined\|_start\|kallsyms' | head -40
fi

if perf stat -e page-faults true >/dev/null 2>&1; then
	echo "== page faults and CPU (perf stat, 10 runs)"
	perf stat -e page-faults,task-clock -r 10 "$VF" "$@" "$CK" 2>&1 >/dev/null |
		grep -E 'page-faults|task-clock|elapsed'
fi
