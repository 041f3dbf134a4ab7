# bench/bench.mk - `make bench`: a benchmark, not a test (never part of `make test`).
#
# Writes sparse checkpoints of real architectures at real sizes into
# $(BENCH_DIR) once (bench/gen_sparse.py: ~790 GB apparent, ~35 MB on disk),
# then times vramfit against what users run instead (bench/run.py) and writes
# bench/results.md.  Knobs: BENCH_REPS (runs per row, default 15), BENCH_BUDGET
# (seconds per row before it stops at 3 runs, default 60), BENCH_ARGS (e.g.
# "--only deepseek-v3 --skip-slow"), VRAMFIT_PLAN_ARGS (default "--json --gpu h200:8").

BENCH_DIR    ?= build/bench
BENCH_REPS   ?= 15
BENCH_BUDGET ?= 60
BENCH_ARGS   ?=

.PHONY: bench bench-run bench-data bench-profile

# The helper that runs and measures each command (see its header).
$(BUILD)/bench-tools/measure: bench/measure.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -o $@ $<

# Regenerated only when the generator changes (or the stamp is missing).
$(BENCH_DIR)/.stamp: $(VENV)/.stamp bench/gen_sparse.py
	$(PY) bench/gen_sparse.py $(BENCH_DIR) --force
	touch $@
bench-data: $(BENCH_DIR)/.stamp

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BIN) $(BENCH_DIR)/.stamp $(BUILD)/bench-tools/measure
	$(PY) bench/run.py --vramfit ./$(BIN) --bench $(BENCH_DIR) --python $(PY) \
	  --measure $(BUILD)/bench-tools/measure --reps $(BENCH_REPS) --budget $(BENCH_BUDGET) $(BENCH_ARGS)

# Where the time goes on DeepSeek-V3 (callgrind + perf): bench/profile.sh.
bench-profile: $(BIN) $(BENCH_DIR)/.stamp
	bench/profile.sh ./$(BIN) $(BENCH_DIR)/deepseek-v3 inspect --json
