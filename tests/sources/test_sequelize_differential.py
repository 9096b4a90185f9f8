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
from collections import Counter
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from pgfence.sources import load_migrations
from tests.sources.differential import sequelize_cases

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "sequelize_expected.json").read_text()
)
FLAGS = {"unanalysable"}
SILENT_CEILING = 0
_CATALOG = re.compile(
    r"\b(information_schema|pg_catalog|pg_type|pg_enum|pg_range|pg_class|pg_index)\b"
)


def normalised(queries: list[str]) -> list[str]:
    out = []
    for query in queries:
        if _CATALOG.search(query) and query.lstrip().upper().startswith(("SELECT", "WITH")):
            continue  # Sequelize reading the catalog, not changing anything
        for raw in pglast.parse_sql(query):
            if type(raw.stmt).__name__ == "TransactionStmt":
                continue
            out.append(RawStream()(raw.stmt))
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("sequelize")
    sequelize_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="sequelize")}
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


def test_the_corpus_is_what_sequelize_ran(outcomes):
    assert len(outcomes) == len(sequelize_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    counts = Counter(kind for kind, _, _ in outcomes.values())
    with capsys.disabled():
        print(
            f"\nSequelize {EXPECTED['sequelize']} differential: "
            + ", ".join(
                f"{kind} {counts[kind]}" for kind in ("same", "flagged", "silently different")
            )
        )
    wrong = {
        name: {"pgfence": ours, "sequelize": theirs}
        for name, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    assert len(wrong) <= SILENT_CEILING, json.dumps(wrong, indent=1)
