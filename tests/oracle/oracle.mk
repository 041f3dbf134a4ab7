# tests/oracle: vramfit estimate against the CPU measuring oracle (issue 13).
#   make oracle-check   the tracker's self-test and a bounded subset of cases
#                       (one of each kind, ~3 minutes on 2 cores); part of make check
#   make accuracy       every case; writes tests/oracle/accuracy.md
# The models are built once under build/oracle/models.  Under make asan
# (BUILD != build) only the self-test and the two cheapest cases run: the
# sanitized binary is what is being tested there, not the model.
ORACLE_DIR = build/oracle
ORACLE_SUBSET = $(if $(filter build,$(BUILD)),--quick,--quick --only load/)

.PHONY: oracle-check accuracy
oracle-check: $(BIN) $(VENV)/.stamp
	@mkdir -p $(ORACLE_DIR)
	$(PY) tests/oracle/test_tracker.py
	$(PY) tests/oracle/run.py $(BIN) $(ORACLE_DIR) $(ORACLE_SUBSET)

accuracy: $(BIN) $(VENV)/.stamp
	@mkdir -p $(ORACLE_DIR)
	$(PY) tests/oracle/run.py $(BIN) $(ORACLE_DIR) --md tests/oracle/accuracy.md \
	  --json $(ORACLE_DIR)/accuracy.json

CHECK_EXTRA += oracle-check
