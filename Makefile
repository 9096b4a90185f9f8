# Everything a fresh machine needs: `make demo` runs pgfence on a bundled example,
# `make test` runs the test suite. Both create .venv and install pgfence into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pgfence analyze scenarios/demo/migration.sql || test $$? -eq 1

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not postgres and not docker"

lint: $(STAMP)
	$(BIN)/ruff check pgfence tests
	$(BIN)/ruff format --check pgfence tests
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/pgfence rules --markdown > docs/rules.md

bench: $(STAMP)
	$(BIN)/python bench/analyze.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
