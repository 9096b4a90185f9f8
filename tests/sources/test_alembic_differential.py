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
from collections import Counter
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from pgfence.sources import load_migrations
from tests.sources.differential import alembic_cases

EXPECTED = json.loads(
    (Path(__file__).parent / "differential" / "alembic_expected.json").read_text()
)
FLAGS = {"unanalysable"}
SILENT_CEILING = 0


def normalised(sql: str) -> list[str]:
    out = []
    for raw in pglast.parse_sql(sql):
        if type(raw.stmt).__name__ == "TransactionStmt":
            continue
        text = RawStream()(raw.stmt)
        if "alembic_version" in text:
            continue  # Alembic's bookkeeping
        out.append(text)
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("alembic")
    alembic_cases.write(root)
    revisions = {
        Path(m.path).name.split("_", 1)[0]: m for m in load_migrations([str(root)], fmt="alembic")
    }
    rows = {}
    for revision, rendered in EXPECTED["revisions"].items():
        migration = revisions[revision]
        ours = [RawStream()(s.node) for s in migration.statements if s.node is not None]
        theirs = normalised(rendered["sql"])
        flagged = any(f.rule in FLAGS for f in migration.findings) or any(
            s.node is None for s in migration.statements
        )
        if ours == theirs:
            rows[revision] = ("same", ours, theirs)
        elif flagged:
            rows[revision] = ("flagged", ours, theirs)
        else:
            rows[revision] = ("silently different", ours, theirs)
    return rows


def test_the_corpus_is_what_alembic_rendered(outcomes):
    assert len(outcomes) == len(alembic_cases.CASES) >= 150
    assert not [r for r, e in EXPECTED["revisions"].items() if e["error"]]


def test_no_call_comes_out_silently_different(outcomes, capsys):
    counts = Counter(kind for kind, _, _ in outcomes.values())
    with capsys.disabled():
        print(
            f"\nAlembic {EXPECTED['alembic']} (SQLAlchemy {EXPECTED['sqlalchemy']}) differential: "
            + ", ".join(
                f"{kind} {counts[kind]}" for kind in ("same", "flagged", "silently different")
            )
        )
    wrong = {
        revision: {"pgfence": ours, "alembic": theirs}
        for revision, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    assert len(wrong) <= SILENT_CEILING, json.dumps(wrong, indent=1)
