"""prefer-timestamptz"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity


@register
class PreferTimestamptz(Rule):
    """timestamp without time zone.

    ## What it does
    Flags `timestamp` (`timestamp without time zone`) columns, in new tables too.

    ## Why is this bad?
    It stores a wall-clock reading with no zone: the same instant is written differently
    by sessions with different `TimeZone` settings, comparisons across daylight-saving
    changes go wrong, and converting to `timestamptz` later rewrites the table unless the
    session time zone is UTC.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamp);
    ```

    ## Use instead
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz);
    ```
    """

    id = "prefer-timestamptz"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "timestamp without time zone loses the instant; use timestamptz"
    example_bad = "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamp);"
    example_good = "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, column, type_, _ in defined_columns(ctx):
            if type_name(type_) == "timestamp":
                yield Hit(
                    f"{display(table)}.{column} is timestamp without time zone: it does not "
                    "record which instant it means; use timestamptz",
                )
