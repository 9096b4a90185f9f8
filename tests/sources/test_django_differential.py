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
from pathlib import Path

import pytest

from pgfence.sources import load_migrations
from tests.sources.differential import django_cases
from tests.sources.differential.outcomes import classify, normalised, summary

EXPECTED = json.loads((Path(__file__).parent / "differential" / "django_expected.json").read_text())
FLAGS = {"unanalysable", "django-assumption"}
# Calls whose statements Django orders by iterating a Python set (unique_together's old and
# new sets): their order follows PYTHONHASHSEED, so it is compared as a set.
SET_ORDERED = {"lab.0106_unique_together_more", "lab.0107_unique_together_none"}


def _same(key: str):
    if key in SET_ORDERED:
        return lambda ours, theirs: sorted(ours) == sorted(theirs)
    return lambda ours, theirs: ours == theirs


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("django")
    django_cases.write(root)
    migrations = {
        f"{Path(m.path).parent.parent.name}.{Path(m.path).stem}": m
        for m in load_migrations([str(root)], fmt="django")
    }
    return {
        key: classify(migrations[key], normalised([recorded]), FLAGS, _same(key))
        for key, recorded in EXPECTED["migrations"].items()
    }


def test_the_corpus_is_read_in_django_s_order_and_covers_the_api(outcomes):
    assert len(outcomes) == len(django_cases.CASES) >= 150


def test_no_call_comes_out_silently_different(outcomes, capsys):
    line, wrong = summary(f"Django {EXPECTED['django']}", "django", outcomes)
    with capsys.disabled():
        print(line)
    assert not wrong, wrong
