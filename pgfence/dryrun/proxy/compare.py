"""`dryrun --runner CMD --compare-static DIR`: pgfence's static reading of the migrations
under DIR beside what the migration tool really sent, statement by statement.

Statements are compared as Postgres's parser reads them (deparsed by pglast, so spacing,
quoting and keyword case do not count); the tool's own statements are left out on both
sides, as in the report. A migration the tool recorded no run of gives one line; the
statements sent after the last migration recorded are compared with the next one.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from typing import Any

import pglast
from pglast.stream import RawStream

from pgfence.dryrun.proxy.observe import RUNNER_FILE, runners_own
from pgfence.model import ExtractionDifference, Migration, Statement, StatementReport


def canonical(sql: str, node: Any = None) -> str:
    """The statement as the parser reads it, written back in one way."""
    try:
        if node is None:
            raws = pglast.parse_sql(sql)
            if len(raws) != 1:
                return " ".join(sql.split())
            node = raws[0].stmt
        return str(RawStream()(node))
    except Exception:  # pglast cannot write every tree back: compare the text then
        return " ".join(sql.split())


def differences(
    static: Sequence[Migration], sent: Sequence[StatementReport]
) -> list[ExtractionDifference]:
    by_file: dict[str, list[Statement]] = {}
    for report in sent:
        key = os.path.realpath(report.statement.location.file)
        by_file.setdefault(key, []).append(report.statement)
    # What the tool sent after the last migration it recorded is the next one's, the one
    # that failed (a tool records a migration only once it ran through).
    unrecorded = by_file.pop(os.path.realpath(RUNNER_FILE), None)
    out: list[ExtractionDifference] = []
    for migration in static:
        read = [s for s in migration.statements if not runners_own(s)]
        ran = by_file.get(os.path.realpath(migration.path))
        if ran is None and unrecorded is not None:
            ran, unrecorded = unrecorded, None
        if ran is None:
            if read:
                out.append(ExtractionDifference(migration.path, None, "not-run"))
            continue
        out.extend(_compare(migration.path, read, ran))
    return out


def _compare(path: str, read: list[Statement], ran: list[Statement]) -> list[ExtractionDifference]:
    left = [canonical(s.sql, s.node) for s in read]
    right = [canonical(s.sql, s.node) for s in ran]
    out: list[ExtractionDifference] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            s, t = read[i1 + k], ran[j1 + k]
            out.append(ExtractionDifference(path, s.location.line, "differs", s.sql, t.sql))
        for s in read[i1 + pairs : i2]:
            out.append(ExtractionDifference(path, s.location.line, "not-sent", static_sql=s.sql))
        for t in ran[j1 + pairs : j2]:
            out.append(ExtractionDifference(path, None, "not-read", sent_sql=t.sql))
    return out
