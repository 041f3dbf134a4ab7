# make families (in make check): vramfit's config-only parameter count for
# every model type transformers 4.36 builds here, against the meta-device
# count stored in tests/data/families-4.36 (regenerate with
# $(PY) tests/families/gen_meta_counts.py tests/data/families-4.36).
.PHONY: families
families: $(BIN) $(VENV)/.stamp
	$(PY) tests/families/sweep.py $(BIN) tests/data/families-4.36 README.md
CHECK_EXTRA += families
