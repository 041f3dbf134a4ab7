# vramfit - plans GPU memory from checkpoint headers.  See README.md.
#
#   make            build ./vramfit
#   make demo       install what is missing, build, run on the bundled example
#   make test       install, build, run every test, then again under ASan+UBSan,
#                   the threaded readers under TSan, the fuzz and valgrind tiers
#   make deps       install the missing Debian packages (no-op when present)
#   make format     clang-format every source file
#   make fuzz       libFuzzer on every parser (FUZZ_SECONDS=N each); fuzz-regress
#                   replays past crashers; valgrind runs the tests under valgrind
#   make bench      timings against what users run instead (not a test)

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2
SAN      ?=
CFLAGS   ?= $(OPT) -g
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS += -I. -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SAN)
# libarchive is dlopen()ed on first use (formats/archive_lib.c), not linked;
# only test_bounds, which writes a zip with it, links it.
LDLIBS    = -lcjson -lm -ldl -lpthread
$(BUILD)/tests/test_bounds: LDLIBS += -larchive

LIB_SRC  := $(sort $(wildcard common/*.c formats/*.c planner/*.c gpu/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      := $(if $(filter build,$(BUILD)),vramfit,$(BUILD)/vramfit)

VENV      = build/venv
PY        = $(VENV)/bin/python
FIXTURES  = build/fixtures
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

DEB_PKGS = gcc make pkg-config libcjson-dev libarchive-dev libcmocka-dev \
           python3 python3-venv python3-numpy python3-torch zip \
           clang libclang-rt-14-dev valgrind libcurl4-openssl-dev nginx-light \
           librsvg2-bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# gpu/gpu.mk decides whether the CUDA toolkit is there (static cudart) or not.
-include gpu/gpu.mk
# tests/fuzz/fuzz.mk: libFuzzer harnesses (make fuzz FUZZ_SECONDS=N) and their
# regression replay; bench/bench.mk: make bench.
-include tests/fuzz/fuzz.mk
-include bench/bench.mk
# Each test tier of its own (tests/*/NAME.mk) adds its target to CHECK_EXTRA,
# which make check (and so make test) runs after the tiers below.
CHECK_EXTRA :=
-include $(filter-out tests/fuzz/fuzz.mk,$(sort $(wildcard tests/*/*.mk)))

.PHONY: all deps demo test check unit cli conformance estimate-conformance plan-conformance asan tsan venv fixtures format clean
all: $(BIN)

$(BIN): $(LIB_OBJ) $(CLI_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS) -lcmocka

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The main job on the bundled example: what is in it, what it needs, where its
# layers go on the GPUs you describe, and the pre-flight verdict.
demo: deps
	@$(MAKE) --no-print-directory all
	./vramfit inspect examples/tiny-llama
	./vramfit estimate --seq 2048 --batch 4 examples/tiny-llama
	./vramfit plan --gpu 1MiB --gpu 1MiB --max-memory 0=600KiB,1=600KiB,cpu=2GiB --seq 128 -o build/device_map.json examples/tiny-llama
	./vramfit check --gpu 8GiB,used=7.8GiB ../shared/models/google-bert__bert-large-uncased.json || echo "check exit status $$? (10: runs only with offload)"

# The Python writers and references live in a venv under build/ (tests only).
$(VENV)/.stamp: tests/requirements.txt tests/requirements-nodeps.txt
	/usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r tests/requirements-nodeps.txt
	touch $@
venv: $(VENV)/.stamp

# gen_fixtures.py writes the safetensors set at the top; every other
# tests/tools/gen_<name>.py writes its own set under $(FIXTURES)/<name>, each
# with an expected.json that check_inspect.py compares against.
GENERATORS := $(filter-out tests/tools/gen_fixtures.py,$(wildcard tests/tools/gen_*.py))
$(FIXTURES)/.stamp: $(VENV)/.stamp tests/tools/gen_fixtures.py $(GENERATORS)
	rm -rf $(FIXTURES)
	$(PY) tests/tools/gen_fixtures.py $(FIXTURES)
	@set -e; for g in $(GENERATORS); do \
	  n=$$(basename $$g .py); n=$${n#gen_}; echo "$(PY) $$g $(FIXTURES)/$$n"; \
	  $(PY) $$g $(FIXTURES)/$$n; done
	touch $@
fixtures: $(FIXTURES)/.stamp

unit: $(UNIT_BIN) fixtures
	@set -e; for t in $(UNIT_BIN); do \
	  HF_HUB_OFFLINE=1 VF_FIXTURES=$(FIXTURES) VF_MODELS=../shared/models $$t; done

cli: $(BIN) fixtures
	tests/cli/run.sh $(BIN) $(FIXTURES)

conformance: $(BIN) fixtures
	@set -e; for e in $$(find $(FIXTURES) -name expected.json | sort); do \
	  echo "$(PY) tests/tools/check_inspect.py $(BIN) $$(dirname $$e)"; \
	  $(PY) tests/tools/check_inspect.py $(BIN) $$(dirname $$e); done

# vramfit estimate vs transformers 4.36 + accelerate 0.25 on the meta device
estimate-conformance: $(BIN) $(VENV)/.stamp
	$(PY) tests/tools/check_estimate.py $(BIN) ../shared/models

# vramfit plan vs accelerate 0.25's infer_auto_device_map, and a real offloaded load
plan-conformance: $(BIN) $(VENV)/.stamp
	$(PY) tests/tools/check_plan.py $(BIN) ../shared/models

check: unit cli conformance estimate-conformance plan-conformance $(CHECK_EXTRA)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 SAN="$(ASAN_FLAGS)" check

# ThreadSanitizer on what runs threads: shards parsed on workers
# (formats/shards.c), names classified in halves (planner/weights.c),
# libarchive loaded once (formats/archive_lib.c), and
# vramfit itself on the sharded fixture and a 24-shard directory.
TSAN_TESTS = test_index test_archive_lib test_safetensors_bad test_planner_class
tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan OPT=-O1 SAN=-fsanitize=thread \
	  build/tsan/vramfit $(TSAN_TESTS:%=build/tsan/tests/%) fixtures
	@set -e; for t in $(TSAN_TESTS); do \
	  TSAN_OPTIONS=halt_on_error=1 VF_FIXTURES=$(FIXTURES) VF_MODELS=../shared/models \
	    build/tsan/tests/$$t >build/tsan/$$t.log 2>&1 || { tail -40 build/tsan/$$t.log; exit 1; }; \
	done
	TSAN_OPTIONS=halt_on_error=1 build/tsan/vramfit inspect --json $(FIXTURES)/tiny_llama >/dev/null
	TSAN_OPTIONS=halt_on_error=1 build/tsan/vramfit plan --gpu 24GiB --gpu 24GiB $(FIXTURES)/tiny_llama >/dev/null
	@echo "make tsan: no data races"

test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory fuzz-regress
	@$(MAKE) --no-print-directory -j2 fuzz FUZZ_SECONDS=10
	@$(MAKE) --no-print-directory valgrind
	@echo "make test: all tiers passed (plain, ASan+UBSan, TSan, fuzz, valgrind)"

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(wildcard */*.h tests/unit/*.h)

clean:
	rm -rf build vramfit
