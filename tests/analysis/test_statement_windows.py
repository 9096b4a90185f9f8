"""The views rules get of earlier and later statements: windows, never copies."""

from __future__ import annotations

from pglast import ast

from pgfence.analysis.rule import Statements
from pgfence.sources.sql import split_script


def test_a_window_sees_its_range_as_it_was_and_finds_statements_by_type():
    statements, _ = split_script(
        "CREATE TABLE a (x int);\nALTER TYPE e ADD VALUE 'v';\nSELECT 1;\nALTER TYPE e ADD VALUE 'w';\n",
        "m.sql",
    )
    log = Statements(statements[:3])
    window = log.window(1)
    log.append(statements[3])  # later appends are not seen by an earlier window
    assert [s.location.line for s in window] == [2, 3]
    assert len(window) == 2 and window[-1] is statements[2] and list(window[:1]) == [statements[1]]
    assert [s.location.line for s in window.of_type(ast.AlterEnumStmt)] == [2]
    assert [s.location.line for s in log.window().of_type(ast.AlterEnumStmt)] == [2, 4]
    assert list(log.window(4)) == [] and log.window(3).of_type(ast.SelectStmt) == []
