"""What the five ORM differentials share: the library's recorded SQL and pgfence's reading
of the same migration, each written back by pglast, classified per migration."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

import pglast
from pglast.stream import RawStream

from pgfence.model import Migration

KINDS = ("same", "flagged", "silently different")
Outcome = tuple[str, list[str], list[str]]  # kind, pgfence's statements, the library's


def normalised(
    queries: Iterable[str],
    *,
    catalog: re.Pattern[str] | None = None,
    skip: Callable[[str], bool] = lambda _text: False,
) -> list[str]:
    """The library's statements as pglast writes them back, without transaction control,
    its reads of the catalog (a SELECT or WITH that `catalog` matches) and what `skip`
    says is its own bookkeeping."""
    out = []
    for query in queries:
        reads = query.lstrip().lower().startswith(("select", "with"))
        if catalog is not None and reads and catalog.search(query):
            continue
        for raw in pglast.parse_sql(query):
            if type(raw.stmt).__name__ == "TransactionStmt":
                continue
            text = RawStream()(raw.stmt)
            if not skip(text):
                out.append(text)
    return out


def classify(
    migration: Migration,
    theirs: list[str],
    flags: set[str],
    same: Callable[[list[str], list[str]], bool] = lambda a, b: a == b,
) -> Outcome:
    """Same SQL, else flagged (a finding in `flags`, or a statement pgfence cannot
    parse), else silently different."""
    ours = [RawStream()(s.node) for s in migration.statements if s.node is not None]
    flagged = any(f.rule in flags for f in migration.findings) or any(
        s.node is None for s in migration.statements
    )
    kind = "same" if same(ours, theirs) else "flagged" if flagged else "silently different"
    return kind, ours, theirs


def summary(label: str, library: str, outcomes: Mapping[str, Outcome]) -> tuple[str, str]:
    """The line the test prints (same / flagged / silently different), and the silently
    different migrations as JSON (empty when there are none)."""
    counts = Counter(kind for kind, _, _ in outcomes.values())
    line = f"\n{label} differential: " + ", ".join(f"{k} {counts[k]}" for k in KINDS)
    wrong = {
        name: {"pgfence": ours, library: theirs}
        for name, (kind, ours, theirs) in outcomes.items()
        if kind == "silently different"
    }
    return line, json.dumps(wrong, indent=1) if wrong else ""
