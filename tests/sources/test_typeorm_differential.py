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
from collections import Counter
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from pgfence.sources import load_migrations
from tests.sources.differential import typeorm_cases

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "typeorm_expected.json").read_text()
)
FLAGS = {"unanalysable", "typeorm-assumption"}
SILENT_CEILING = 0
# TypeORM's reads of the live database before it builds a statement (loadTables, hasEnumType,
# the server version): what it reads, not what it changes.
_CATALOG = re.compile(
    r"\b(information_schema|pg_catalog|pg_class|pg_index|pg_constraint|pg_type|pg_namespace"
    r"|current_schema|current_database|version|typeorm_metadata)\b"
)


def normalised(queries: list[str]) -> list[str]:
    out = []
    for query in queries:
        if _CATALOG.search(query) and query.lstrip().lower().startswith(("select", "with")):
            continue
        for raw in pglast.parse_sql(query):
            if type(raw.stmt).__name__ == "TransactionStmt":
                continue
            out.append(RawStream()(raw.stmt))
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("typeorm")
    typeorm_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="typeorm")}
    rows = {}
    for name, recorded in EXPECTED["migrations"].items():
        migration = migrations[name]
        ours = [RawStream()(s.node) for s in migration.statements if s.node is not None]
        theirs = normalised(recorded["sql"])
        flagged = any(f.rule in FLAGS for f in migration.findings) or any(
            s.node is None for s in migration.statements
        )
        if ours == theirs:
            rows[name] = ("same", ours, theirs)
        elif flagged:
            rows[name] = ("flagged", ours, theirs)
        else:
            rows[name] = ("silently different", ours, theirs)
    return rows


def test_the_corpus_is_what_typeorm_ran(outcomes):
    assert len(outcomes) == len(typeorm_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    counts = Counter(kind for kind, _, _ in outcomes.values())
    with capsys.disabled():
        print(
            f"\ntypeorm {EXPECTED['typeorm']} differential: "
            + ", ".join(
                f"{kind} {counts[kind]}" for kind in ("same", "flagged", "silently different")
            )
        )
    wrong = {
        name: {"pgfence": ours, "typeorm": theirs}
        for name, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    assert len(wrong) <= SILENT_CEILING, json.dumps(wrong, indent=1)
