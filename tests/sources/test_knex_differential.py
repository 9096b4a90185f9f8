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
from collections import Counter
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from pgfence.sources import load_migrations
from tests.sources.differential import knex_cases

EXPECTED = json.loads((Path(__file__).parent / "differential" / "knex_expected.json").read_text())
FLAGS = {"unanalysable"}
SILENT_CEILING = 0
_CATALOG = re.compile(r"\b(information_schema|pg_catalog|pg_class|pg_index|pg_constraint)\b")


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
    root = tmp_path_factory.mktemp("knex")
    knex_cases.write(root)
    migrations = {Path(m.path).name: m for m in load_migrations([str(root)], fmt="knex")}
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


def test_the_corpus_is_what_knex_ran(outcomes):
    assert len(outcomes) == len(knex_cases.CASES) >= 150
    assert not [n for n, e in EXPECTED["migrations"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    counts = Counter(kind for kind, _, _ in outcomes.values())
    with capsys.disabled():
        print(
            f"\nknex {EXPECTED['knex']} differential: "
            + ", ".join(
                f"{kind} {counts[kind]}" for kind in ("same", "flagged", "silently different")
            )
        )
    wrong = {
        name: {"pgfence": ours, "knex": theirs}
        for name, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    assert len(wrong) <= SILENT_CEILING, json.dumps(wrong, indent=1)
