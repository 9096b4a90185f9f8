"""pgfence's static reading of Sequelize migrations against what Sequelize itself sends.

tests/sources/differential/sequelize_cases.py is a corpus of queryInterface calls covering
Sequelize 6's migration API; sequelize_expected.json is every query the pinned Sequelize
logged while running each file against a real PostgreSQL (tools/sequelize_differential.py,
`make differential`). Compared statement by statement after pglast normalises both, leaving
out what Sequelize reads rather than changes (its catalog queries: describeTable,
enum and type lookups). Each file must come out as the same SQL, or carry an
`unanalysable` finding saying pgfence could not be sure. Silently different: a ratchet
that may only fall.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pgfence.sources import load_migrations
from tests.sources.differential import sequelize_cases
from tests.sources.differential.outcomes import classify, normalised, summary

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "sequelize_expected.json").read_text()
)
FLAGS = {"unanalysable", "run-time-value"}
_CATALOG = re.compile(
    r"\b(information_schema|pg_catalog|pg_type|pg_enum|pg_range|pg_class|pg_index)\b"
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("sequelize")
    sequelize_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="sequelize")}
    return {
        key: classify(migrations[key], normalised(recorded["sql"], catalog=_CATALOG), FLAGS)
        for key, recorded in EXPECTED["migrations"].items()
    }


def test_the_corpus_is_what_sequelize_ran(outcomes):
    assert len(outcomes) == len(sequelize_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    line, wrong = summary(f"Sequelize {EXPECTED['sequelize']}", "sequelize", outcomes)
    with capsys.disabled():
        print(line)
    assert not wrong, wrong
