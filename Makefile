# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

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

demo: $(STAMP_RUN)
	rm -rf out
	$(BIN)/infracc compile examples/three-tier/stack.yaml -o out
	@echo
	@echo "Compiled examples/three-tier/stack.yaml into out/. Start with out/docs/README.md;"
	@echo "try: $(BIN)/infracc cost examples/three-tier/stack.yaml"

test: $(STAMP_DEV)
	$(BIN)/python -m pytest -n auto -m "not serial"
	$(BIN)/python -m pytest -m serial

lint: $(STAMP_DEV)
	$(BIN)/ruff check compiler schema backends library tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/python tools/typecheck.py

schema: $(STAMP_RUN)
	$(BIN)/infracc schema > schema/stack.schema.json

golden: $(STAMP_DEV)
	$(BIN)/python -m pytest tests/test_golden.py --update-golden

bench: $(STAMP_RUN)
	$(BIN)/python benchmarks/cold.py

clean:
	rm -rf $(VENV) out build *.egg-info
