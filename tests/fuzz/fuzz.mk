# tests/fuzz/fuzz.mk - included by the Makefile: libFuzzer harnesses, their
# regression replay, and the valgrind tier.
#
#   make fuzz [FUZZ_SECONDS=60]   build every harness with clang into build/fuzz,
#                                 seed the corpora from the fixtures, fuzz each
#                                 harness FUZZ_SECONDS seconds (in parallel
#                                 with -j); fails if any harness crashes
#   make fuzz-<name>              one harness (safetensors index config pickle
#                                 zip legacy gguf archive)
#   make fuzz-regress             replay tests/fuzz/regressions/<name>/* and
#                                 tests/fuzz/seeds/<name>/* through the
#                                 harnesses once each (fast, for CI)
#   make valgrind                 unit tests, vramfit on fixtures and the fuzz
#                                 regressions under valgrind
#
# A crash leaves its input in build/fuzz/artifacts/<name>/; reproduce it with
# build/fuzz/fuzz_<name> FILE, fix the reader, then keep the file as
# tests/fuzz/regressions/<name>/<what-it-was> so fuzz-regress replays it.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR      = build/fuzz
FUZZ_NAMES    = safetensors index config pickle zip legacy gguf archive
FUZZ_MAX_LEN  = 1048576
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 $(WARN) -O1 -g $(FUZZ_SAN) -I. -D_GNU_SOURCE
# Options shared by fuzzing and replay: inputs capped at 1 MiB, 2 GiB of
# memory (vramfit's own caps are far below), 10 s per input.
FUZZ_OPTS     = -max_len=$(FUZZ_MAX_LEN) -rss_limit_mb=2048 -timeout=10
# cJSON and libarchive come from the system, uninstrumented: dictionaries give
# the fuzzer the tokens that coverage inside them cannot.
FUZZ_DICT_safetensors = json
FUZZ_DICT_index       = json
FUZZ_DICT_config      = json
FUZZ_DICT_pickle      = pickle
FUZZ_DICT_legacy      = pickle
FUZZ_DICT_zip         = zip
FUZZ_DICT_gguf        = gguf
FUZZ_DICT_archive     = archive

# The harnesses need the readers and the layer grouping (planner/layers.c),
# nothing else of planner/, gpu/ or cli/, so work in progress there cannot
# stop the fuzzers; an archive lets the linker take only the objects used.
FUZZ_LIB_SRC := $(sort $(wildcard common/*.c formats/*.c)) planner/layers.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_HDRS     = $(wildcard */*.h)
FUZZ_LDLIBS   = -lcjson -lm -ldl -lpthread

.PHONY: fuzz fuzz-build fuzz-seed fuzz-regress valgrind $(FUZZ_NAMES:%=fuzz-%)

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libvf.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_DIR)/libvf.a $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libvf.a $(FUZZ_LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-seed: fixtures
	tests/fuzz/seed.sh $(FIXTURES) $(FUZZ_DIR)/corpus ../shared/models

# Each harness fuzzes into its own corpus (which keeps growing across runs);
# the log is kept, and its last lines are shown when the harness fails.
$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(FUZZ_DIR)/fuzz_% fuzz-seed
	@mkdir -p $(FUZZ_DIR)/artifacts/$* $(FUZZ_DIR)/logs
	@echo "fuzz $*: $(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/logs/$*.log"
	@if $(FUZZ_DIR)/fuzz_$* $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 \
	    -dict=tests/fuzz/$(FUZZ_DICT_$*).dict \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$*/ $(FUZZ_DIR)/corpus/$* \
	    >$(FUZZ_DIR)/logs/$*.log 2>&1; then \
	  grep -h -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' \
	    $(FUZZ_DIR)/logs/$*.log | sed 's/^/fuzz $*: /'; \
	else \
	  tail -n 60 $(FUZZ_DIR)/logs/$*.log; \
	  echo "fuzz $*: FAILED; the input is in $(FUZZ_DIR)/artifacts/$*/"; exit 1; \
	fi

fuzz: $(FUZZ_NAMES:%=fuzz-%)
	@echo "make fuzz: every harness ran $(FUZZ_SECONDS) s without a crash"

# libFuzzer binaries given files run each once and exit.
fuzz-regress: fuzz-build
	@set -e; for h in $(FUZZ_NAMES); do \
	  files=$$(find tests/fuzz/regressions/$$h tests/fuzz/seeds/$$h -type f 2>/dev/null | sort); \
	  [ -n "$$files" ] || continue; \
	  echo "fuzz-regress $$h: $$(echo "$$files" | wc -l) inputs"; \
	  $(FUZZ_DIR)/fuzz_$$h $(FUZZ_OPTS) $$files >$(FUZZ_DIR)/regress-$$h.log 2>&1 || \
	    { tail -n 60 $(FUZZ_DIR)/regress-$$h.log; echo "fuzz-regress $$h: FAILED"; exit 1; }; \
	done; echo "make fuzz-regress: every regression input passed"

# ---- valgrind ----

# The harnesses again, built without sanitizers or libFuzzer (standalone.c is
# their main), so valgrind can replay the regressions through them.
FUZZ_PLAIN_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/plain/obj/%.o)

$(FUZZ_DIR)/plain/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g -I. -D_GNU_SOURCE -c -o $@ $<

$(FUZZ_DIR)/plain/libvf.a: $(FUZZ_PLAIN_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/plain/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h tests/fuzz/standalone.c \
			 $(FUZZ_DIR)/plain/libvf.a $(FUZZ_HDRS)
	$(CC) -std=c11 $(WARN) -O1 -g -I. -D_GNU_SOURCE -o $@ $< tests/fuzz/standalone.c \
	  $(FUZZ_DIR)/plain/libvf.a $(FUZZ_LDLIBS)

VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
# The CLI exits 1 on bad input by design, so there valgrind's own failure is 99.
VALGRIND_CLI = $(subst --error-exitcode=1,--error-exitcode=99,$(VALGRIND))
# Unit tests left out under valgrind, each with its reason:
#   test_bounds  parses 70-100 MB headers and forks to measure peak RSS; under
#                valgrind that takes many minutes and the RSS is valgrind's.
VALGRIND_SKIP = test_bounds
# inspect runs that must succeed, then ones that must fail (exit 1).
VALGRIND_OK = tiny_llama bert_dir all_dtypes.safetensors empty.safetensors \
	      tiny_llama/config.json torch/train.pt torch/tied_legacy.bin torch/sharded \
	      gguf/moe.gguf gguf/with_config
VALGRIND_BAD = torch/bad/bomb.pt torch/bad/os_system.pt torch/bad/deep.pt \
	       torch/bad/memo.pt torch/bad/no_data_pkl.pt torch/bad/truncated.bin \
	       torch/bad/view_past_end.pt

valgrind: $(UNIT_BIN) $(BIN) fixtures $(FUZZ_NAMES:%=$(FUZZ_DIR)/plain/fuzz_%)
	@set -e; for t in $(UNIT_BIN); do \
	  n=$$(basename $$t); \
	  case " $(VALGRIND_SKIP) " in *" $$n "*) echo "valgrind $$n: skipped"; continue;; esac; \
	  echo "valgrind $$n"; \
	  VF_FIXTURES=$(FIXTURES) VF_MODELS=../shared/models $(VALGRIND) $$t >/dev/null; \
	done
	@set -e; for p in $(VALGRIND_OK); do \
	  echo "valgrind vramfit inspect --json --tensors $$p"; \
	  $(VALGRIND_CLI) ./$(BIN) inspect --json --tensors $(FIXTURES)/$$p >/dev/null; \
	done
	@for p in $(VALGRIND_BAD); do \
	  echo "valgrind vramfit inspect $$p (must fail)"; \
	  $(VALGRIND_CLI) ./$(BIN) inspect $(FIXTURES)/$$p >/dev/null 2>&1; st=$$?; \
	  [ $$st -eq 1 ] || { echo "valgrind vramfit inspect $$p: exit $$st, not 1"; exit 1; }; \
	done
	@set -e; for h in $(FUZZ_NAMES); do \
	  files=$$(find tests/fuzz/regressions/$$h tests/fuzz/seeds/$$h -type f 2>/dev/null | sort); \
	  [ -n "$$files" ] || continue; \
	  echo "valgrind fuzz_$$h: $$(echo "$$files" | wc -l) regression inputs"; \
	  $(VALGRIND) $(FUZZ_DIR)/plain/fuzz_$$h $$files; \
	done
	@echo "make valgrind: no errors and no definite leaks"
