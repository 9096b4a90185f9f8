"""--compare-static: what pgfence read beside what the tool sent, with bound parameters."""

from __future__ import annotations

import pglast

from pgfence.dryrun.proxy.compare import differences
from pgfence.model import Location, Migration, Prediction, Statement, StatementReport


def _statement(sql: str, file: str, parameters: tuple[str | None, ...] = ()) -> Statement:
    node = pglast.parse_sql(sql)[0].stmt
    return Statement(sql, Location(file, 1, 1), parameters=parameters, node=node)


def _sent(*statements: Statement) -> list[StatementReport]:
    return [StatementReport(s, Prediction()) for s in statements]


def test_a_bound_statement_is_compared_with_its_values_written_in(tmp_path):
    path = str(tmp_path / "0001.js")
    read = Migration(path, "knex", (_statement("insert into t (a, b) values (5, 'x')", path),))
    same = _statement('insert into "t" ("a", "b") values ($1, $2)', path, ("5", "x"))
    assert differences([read], _sent(same)) == []
    # Another value is another statement: the loosening never hides a difference.
    other = _statement('insert into "t" ("a", "b") values ($1, $2)', path, ("6", "x"))
    [difference] = differences([read], _sent(other))
    assert difference.kind == "differs" and difference.sent_sql == other.sql
    # Not bound, the constants' kinds still count: '5' is not 5.
    quoted = _statement("insert into t (a, b) values ('5', 'x')", path)
    assert [d.kind for d in differences([read], _sent(quoted))] == ["differs"]
