"""vacuum-full"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity
from pgfence.pg.rows import Row

_REPACK = "-- online, outside the migration:"


@register
class VacuumFull(Rule):
    """VACUUM FULL in a migration.

    ## What it does
    Flags `VACUUM FULL` of tables in use (or of the whole database).

    ## Why is this bad?
    It rewrites each table and its indexes under ACCESS EXCLUSIVE: reads and writes wait
    for the whole copy, and it needs room for a second copy of the table on disk.

    ## Example
    ```sql
    VACUUM FULL events;
    ```

    ## Use instead
    `pg_repack` reclaims the space online; a plain `VACUUM` (no blocking) makes the space
    reusable without shrinking the file.
    """

    id = "vacuum-full"
    nodes = (ast.VacuumStmt,)
    severity = Severity.HIGH
    summary = "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE; use pg_repack"
    example_schema = "CREATE TABLE events (id bigint PRIMARY KEY);"
    example_bad = "VACUUM FULL events;"
    example_good = "VACUUM (ANALYZE) events;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.VacuumStmt) or Row.VACUUM__FULL not in ctx.prediction.rows:
            return
        tables = [r for r in ctx.prediction.rewrites if ctx.existing(r) and r in ctx.catalog.tables]
        if ctx.prediction.rewrites and not tables:
            return
        names = ", ".join(display(t) for t in tables) or "every table"
        yield Hit(
            f"VACUUM FULL rewrites {names} under ACCESS EXCLUSIVE: reads and writes wait",
            recipe=tuple(f"{_REPACK}\npg_repack --table={t}" for t in tables)
            or (f"{_REPACK} pg_repack",),
        )
