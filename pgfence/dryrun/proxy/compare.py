"""`dryrun --runner CMD --compare-static DIR`: pgfence's static reading of the migrations
under DIR beside what the migration tool really sent, statement by statement.

Statements are compared as Postgres's parser reads them (deparsed by pglast, so spacing,
quoting and keyword case do not count); the tool's own statements are left out on both
sides, as in the report. A migration the tool recorded no run of gives one line; the
statements sent after the last migration recorded are compared with the next one.
A statement sent with bound parameters (`values ($1)` and 5) is compared with its values
written in, constants as their text on both sides: pgfence reads `values (5)`.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Sequence
from typing import Any

import pglast
from pglast import ast
from pglast.stream import RawStream
from pglast.visitors import Visitor

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


class _Constants(Visitor):
    """Every constant as its text, and each $n as the text bound to it."""

    def __init__(self, parameters: Sequence[str | None]) -> None:
        self.parameters = parameters

    def visit_ParamRef(self, _ancestors: Any, node: ast.ParamRef) -> Any:
        number = node.number or 0
        if not 1 <= number <= len(self.parameters):
            return None
        value = self.parameters[number - 1]
        return ast.A_Const(isnull=True) if value is None else _text(value)

    def visit_A_Const(self, _ancestors: Any, node: ast.A_Const) -> Any:
        value = node.val
        if node.isnull or isinstance(value, ast.String):
            return None
        if isinstance(value, ast.Integer):
            return _text(str(value.ival or 0))
        if isinstance(value, ast.Float):
            return _text(str(value.fval))
        if isinstance(value, ast.Boolean):
            return _text("true" if value.boolval else "false")
        return None


def _text(value: str) -> ast.A_Const:
    return ast.A_Const(isnull=False, val=ast.String(sval=value))


def _with_values(statement: Statement, parameters: Sequence[str | None]) -> str:
    """The statement as the parser reads it, its constants (and parameters) as text."""
    if statement.node is None:
        return canonical(statement.sql)
    node = copy.deepcopy(statement.node)
    _Constants(parameters)(node)
    return canonical(statement.sql, node)


def _compare(path: str, read: list[Statement], ran: list[Statement]) -> list[ExtractionDifference]:
    left = [canonical(s.sql, s.node) for s in read]
    right = [canonical(s.sql, s.node) for s in ran]
    if any(t.parameters for t in ran):  # a bound statement: compared with its values in
        loose = {_with_values(s, ()): left[j] for j, s in reversed(list(enumerate(read)))}
        for k, t in enumerate(ran):
            if t.parameters:
                bound = _with_values(t, t.parameters)
                right[k] = loose.get(bound, bound)
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
