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
# 3. bench/proto_scan.c, the prototype of the proposed fix, on the same checkpoint.
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
	grep -E '\*  .*:(vf_model_open_opts|vf_index_read|vf_read_shards|vf_json_parse|cJSON_ParseWithLengthOpts|cJSON_Delete|find_duplicate_key|vf_utf8_valid|parse_header|parse_info|vf_model_add_tensor|vf_strmap_put|vf_strmap_get|vf_layers_group|vf_estimate|plan_solve|vf_run_layers|vf_tensor_params|qsort|print_json|vf_file_slurp) ' |
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

# 3. The floor of the proposed fix: bench/proto_scan.c (a prototype of a strict,
#    tree-free reader) on the same directory, in-process times.
if [ -f "$CK/model.safetensors.index.json" ]; then
	echo "== prototype tree-free reader (bench/proto_scan.c), in-process"
	${CC:-cc} -std=c11 -O2 -o "$OUT/proto_scan" bench/proto_scan.c -lpthread
	"$OUT/proto_scan" -r 5 "$CK" | tail -2
	"$OUT/proto_scan" -j 2 -r 5 "$CK" | tail -2
fi
