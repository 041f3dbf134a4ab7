# make writers (in make check): files written by the real writers, read back.
#   sweep.py    the safetensors writer at every header length 8..64 KiB+
#               (every 16th under a sanitizer build: same bytes, slower binary)
#   folders.py  save_pretrained, Trainer and peft folders, read as
#               from_pretrained reads them
# The sweep's files are kept in build/writers/sweep (shared by every build).
.PHONY: writers
writers: $(BIN) $(VENV)/.stamp
	$(PY) tests/writers/sweep.py $(BIN) build/writers/sweep $(if $(filter build,$(BUILD)),1,16)
	$(PY) tests/writers/folders.py $(BIN) $(BUILD)/writers/folders
CHECK_EXTRA += writers
