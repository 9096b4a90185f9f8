"""pgfence's static reading of Django migrations against what Django itself sends.

tests/sources/differential/django_cases.py is a corpus of migration calls covering Django's
migration API; django_expected.json is what Django's own `sqlmigrate` printed for each, on a
real PostgreSQL, with the Django version pinned in tools/django_differential.py (`make
differential` regenerates it). Every call must come out as the same SQL (compared after
pglast normalises both), or carry an explicit `unanalysable` / `django-assumption` finding
saying pgfence could not be sure. Silently different: none.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from pgfence.sources import load_migrations
from tests.sources.differential import django_cases

EXPECTED = json.loads((Path(__file__).parent / "differential" / "django_expected.json").read_text())
FLAGS = {"unanalysable", "django-assumption"}
# Calls whose statements Django orders by iterating a Python set (unique_together's old and
# new sets): their order follows PYTHONHASHSEED, so it is compared as a set.
SET_ORDERED = {"lab.0106_unique_together_more", "lab.0107_unique_together_none"}


def normalised(sql: str) -> list[str]:
    out = []
    for raw in pglast.parse_sql(sql):
        if type(raw.stmt).__name__ == "TransactionStmt":
            continue  # sqlmigrate's BEGIN/COMMIT: pgfence says "one transaction" apart
        out.append(RawStream()(raw.stmt))
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("django")
    django_cases.write(root)
    migrations = {
        f"{Path(m.path).parent.parent.name}.{Path(m.path).stem}": m
        for m in load_migrations([str(root)], fmt="django")
    }
    rows = {}
    for key, sql in EXPECTED["migrations"].items():
        migration = migrations[key]
        ours = [RawStream()(s.node) for s in migration.statements if s.node is not None]
        theirs = normalised(sql)
        flagged = any(f.rule in FLAGS for f in migration.findings) or any(
            s.node is None for s in migration.statements
        )
        if ours == theirs or (key in SET_ORDERED and sorted(ours) == sorted(theirs)):
            rows[key] = ("same", ours, theirs)
        elif flagged:
            rows[key] = ("flagged", ours, theirs)
        else:
            rows[key] = ("silently different", ours, theirs)
    return rows


def test_the_corpus_is_read_in_django_s_order_and_covers_the_api(outcomes):
    assert len(outcomes) == len(django_cases.CASES) >= 150


def test_no_call_comes_out_silently_different(outcomes, capsys):
    counts = Counter(kind for kind, _, _ in outcomes.values())
    with capsys.disabled():
        print(
            f"\nDjango {EXPECTED['django']} differential: "
            + ", ".join(
                f"{kind} {counts[kind]}" for kind in ("same", "flagged", "silently different")
            )
        )
    wrong = {
        key: {"pgfence": ours, "django": theirs}
        for key, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    assert not wrong, json.dumps(wrong, indent=1)
