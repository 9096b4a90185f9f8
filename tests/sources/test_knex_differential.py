"""pgfence's static reading of Knex migrations against what knex itself sends.

tests/sources/differential/knex_cases.py is a corpus of migration calls covering knex 3's
schema builder, raw queries and query builder; knex_expected.json is every query the
pinned knex sent while running each file against a real PostgreSQL
(tools/knex_differential.py, `make differential`). Compared statement by statement after
pglast normalises both, leaving out what knex reads rather than changes (its catalog
queries). Each file must come out as the same SQL, or carry an `unanalysable` finding.
Silently different: a ratchet that may only fall.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pgfence.sources import load_migrations
from tests.sources.differential import knex_cases
from tests.sources.differential.outcomes import classify, normalised, summary

EXPECTED = json.loads((Path(__file__).parent / "differential" / "knex_expected.json").read_text())
FLAGS = {"unanalysable", "run-time-value"}
_CATALOG = re.compile(r"\b(information_schema|pg_catalog|pg_class|pg_index|pg_constraint)\b")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("knex")
    knex_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="knex")}
    return {
        key: classify(migrations[key], normalised(recorded["sql"], catalog=_CATALOG), FLAGS)
        for key, recorded in EXPECTED["migrations"].items()
    }


def test_the_corpus_is_what_knex_ran(outcomes):
    assert len(outcomes) == len(knex_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    line, wrong = summary(f"knex {EXPECTED['knex']}", "knex", outcomes)
    with capsys.disabled():
        print(line)
    assert not wrong, wrong
