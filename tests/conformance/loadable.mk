# The loadability matrix (tests/conformance/loadable.py): device maps that
# transformers itself loads and that generate what the plainly loaded model
# generates.  transformers 4.36 in $(VENV) with --engine hf436 for the
# families it has; a current transformers (tests/requirements-current.txt,
# on Debian's torch) in build/venv-current with --engine hf for the families
# it adds.  ~3 minutes on 2 cores.
VENV_CURRENT = build/venv-current
LOADABLE_436 = llama llama-tied mistral mixtral gpt2 bert t5 opt falcon
LOADABLE_CUR = qwen2 gemma2 phi3

$(VENV_CURRENT)/.stamp: tests/requirements-current.txt
	/usr/bin/python3 -m venv --system-site-packages $(VENV_CURRENT)
	$(VENV_CURRENT)/bin/pip install -q --disable-pip-version-check -r tests/requirements-current.txt
	touch $@

.PHONY: loadable
loadable: $(BIN) $(VENV)/.stamp $(VENV_CURRENT)/.stamp
	$(PY) tests/conformance/loadable.py $(BIN) hf436 $(LOADABLE_436)
	$(VENV_CURRENT)/bin/python tests/conformance/loadable.py $(BIN) hf $(LOADABLE_CUR)

CHECK_EXTRA += loadable
