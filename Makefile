# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
# Oracle tools (checkov, hadolint, pre-commit, ...) get a virtualenv of their own: their pins
# (checkov: networkx<2.7, packaging<24, ...) must not change what the product is tested with.
ORACLES := .venv-oracles
STAMP_ORACLES := $(ORACLES)/.installed
ORACLE_ENV = INFRACC_ORACLES=$(abspath $(ORACLES))/bin

.PHONY: demo test lint typecheck schema golden bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install -q -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(STAMP_RUN)

$(STAMP_ORACLES): tests/oracles.txt
	$(PYTHON) -m venv $(ORACLES)
	$(ORACLES)/bin/python -m pip install -q --upgrade pip
	$(ORACLES)/bin/python -m pip install -q -r tests/oracles.txt
	touch $@

demo: $(STAMP_RUN)
	rm -rf out
	$(BIN)/infracc compile examples/three-tier/stack.yaml -o out
	@echo
	@echo "Compiled examples/three-tier/stack.yaml into out/. Start with out/docs/README.md;"
	@echo "try: $(BIN)/infracc cost examples/three-tier/stack.yaml"

test: $(STAMP_DEV) $(STAMP_ORACLES)
	$(ORACLE_ENV) $(BIN)/python -m pytest -n auto -m "not serial"
	$(ORACLE_ENV) $(BIN)/python -m pytest -m serial

lint: $(STAMP_DEV)
	$(BIN)/ruff check compiler schema backends library tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/python tools/typecheck.py

schema: $(STAMP_RUN)
	$(BIN)/infracc schema > schema/stack.schema.json
	$(BIN)/python -m infracc.compiler.library_split
	$(BIN)/python -m infracc.compiler.corecache
	$(BIN)/python -m infracc.compiler.precompiled

golden: $(STAMP_DEV)
	$(ORACLE_ENV) $(BIN)/python -m pytest tests/test_golden.py --update-golden

# `make bench` (median of 3, 5–10 minutes on 2 idle cores) or `make bench BENCH=--quick` (one run each).
BENCH ?=
bench: $(STAMP_RUN) $(STAMP_ORACLES)
	$(ORACLE_ENV) $(BIN)/python benchmarks/cold.py $(BENCH)

clean:
	rm -rf $(VENV) $(ORACLES) out build *.egg-info
