# tests/hub/hub.mk - `make hub-test`: vramfit reads models by id from a local
# nginx that stands in for the Hugging Face Hub (tests/hub/run.sh starts and
# stops it; only 127.0.0.1 is contacted).  Needs nginx and libcurl
# (DEB_PKGS: nginx-light libcurl4-openssl-dev).  About 15 s.
#
# The real-size sparse layouts come from bench/gen_sparse.py (~8 s, ~35 MB on
# disk), written once into $(HUB_SPARSE).
HUB_SPARSE ?= build/hub-sparse
HUB_MODELS := deepseek-v3,llama-3.1-70b,llama-2-7b-bin,llama-3.1-8b-gguf

$(HUB_SPARSE)/.stamp: $(VENV)/.stamp bench/gen_sparse.py
	$(PY) bench/gen_sparse.py $(HUB_SPARSE) --no-check --force --only $(HUB_MODELS)
	touch $@

.PHONY: hub-test
hub-test: $(BIN) $(VENV)/.stamp $(HUB_SPARSE)/.stamp
	tests/hub/run.sh $(BIN) $(PY) $(HUB_SPARSE)

CHECK_EXTRA += hub-test
