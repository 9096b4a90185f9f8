"""pgfence's static reading of Alembic revisions against what Alembic itself emits.

tests/sources/differential/alembic_cases.py is a corpus of op calls covering Alembic's
operations API on PostgreSQL; alembic_expected.json is what the pinned Alembic and
SQLAlchemy printed for each revision in offline mode (`alembic upgrade --sql`,
tools/alembic_differential.py, `make differential`). Compared statement by statement
after pglast normalises both, leaving out Alembic's own bookkeeping (alembic_version) and
its BEGIN/COMMIT. Each revision must come out as the same SQL, or carry an
`unanalysable` finding saying pgfence could not be sure. Silently different: a ratchet
that may only fall.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgfence.sources import load_migrations
from tests.sources.differential import alembic_cases
from tests.sources.differential.outcomes import classify, normalised, summary

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "alembic_expected.json").read_text()
)
FLAGS = {"unanalysable", "run-time-value"}


def _bookkeeping(text: str) -> bool:
    return "alembic_version" in text  # Alembic's bookkeeping


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("alembic")
    alembic_cases.write(root)
    migrations = {
        Path(m.path).name.split("_", 1)[0]: m for m in load_migrations([str(root)], fmt="alembic")
    }
    return {
        key: classify(migrations[key], normalised([recorded["sql"]], skip=_bookkeeping), FLAGS)
        for key, recorded in EXPECTED["revisions"].items()
    }


def test_the_corpus_is_what_alembic_rendered(outcomes):
    assert len(outcomes) == len(alembic_cases.CASES) >= 150
    assert not [r for r, e in EXPECTED["revisions"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    line, wrong = summary(
        f"Alembic {EXPECTED['alembic']} (SQLAlchemy {EXPECTED['sqlalchemy']})", "alembic", outcomes
    )
    with capsys.disabled():
        print(line)
    assert not wrong, wrong
