"""pgfence's static reading of TypeORM migrations against what TypeORM itself sends.

tests/sources/differential/typeorm_cases.py is a corpus of migration calls covering TypeORM
0.3's QueryRunner migration API and raw queries; typeorm_expected.json is every query the
pinned TypeORM's PostgresQueryRunner sent while running each file against a real
PostgreSQL (tools/typeorm_differential.py, `make differential`). Compared statement by
statement after pglast normalises both, leaving out what TypeORM reads rather than changes
(its catalog queries). Each file must come out as the same SQL, or carry an `unanalysable`
or `typeorm-assumption` finding. Silently different: 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pgfence.sources import load_migrations
from tests.sources.differential import typeorm_cases
from tests.sources.differential.outcomes import classify, normalised, summary

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "typeorm_expected.json").read_text()
)
FLAGS = {"unanalysable", "typeorm-assumption", "run-time-value"}
# TypeORM's reads of the live database before it builds a statement (loadTables, hasEnumType,
# the server version): what it reads, not what it changes.
_CATALOG = re.compile(
    r"\b(information_schema|pg_catalog|pg_class|pg_index|pg_constraint|pg_type|pg_namespace"
    r"|current_schema|current_database|version|typeorm_metadata)\b"
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("typeorm")
    typeorm_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="typeorm")}
    return {
        key: classify(migrations[key], normalised(recorded["sql"], catalog=_CATALOG), FLAGS)
        for key, recorded in EXPECTED["migrations"].items()
    }


def test_the_corpus_is_what_typeorm_ran(outcomes):
    assert len(outcomes) == len(typeorm_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    line, wrong = summary(f"typeorm {EXPECTED['typeorm']}", "typeorm", outcomes)
    with capsys.disabled():
        print(line)
    assert not wrong, wrong
