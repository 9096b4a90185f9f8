"""alter-table-rewrite"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import alter_table
from pgfence.model import Severity
from pgfence.pg.rows import Row

_REWRITES = {
    Row.ALTER_TABLE__SET_TABLESPACE: "SET TABLESPACE copies",
    Row.ALTER_TABLE__SET_ACCESS_METHOD: "SET ACCESS METHOD rewrites",
    Row.ALTER_TABLE__SET_EXPRESSION: "SET EXPRESSION recomputes every row of",
}


@register
class AlterTableRewrite(Rule):
    """Other ALTER TABLE forms that copy or rewrite the whole table.

    ## What it does
    Flags `SET TABLESPACE`, `SET ACCESS METHOD` (PostgreSQL 15+) and `ALTER COLUMN … SET
    EXPRESSION AS (…)` (PostgreSQL 17+, a stored generated column) on a table in use.

    ## Why is this bad?
    The table (and, except for SET TABLESPACE, its indexes) is copied while ACCESS
    EXCLUSIVE is held: reads and writes wait for the whole copy.

    ## Example
    ```sql
    ALTER TABLE events SET TABLESPACE fast_ssd;
    ```

    ## Use instead
    `pg_repack` (moves a table online with `--tablespace`); for a generated column, add a
    new one and switch over.
    """

    id = "alter-table-rewrite"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "SET TABLESPACE / ACCESS METHOD / EXPRESSION copies the table under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE events (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE events SET TABLESPACE fast_ssd;"
    example_good = "ALTER TABLE events SET (fillfactor = 90);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        found = alter_table(ctx)
        if found is None:
            return
        table, _ = found
        for row, what in _REWRITES.items():
            if row in ctx.prediction.rows:
                yield Hit(
                    f"{what} {display(table)} under ACCESS EXCLUSIVE: reads and writes wait for "
                    "the whole copy",
                    recipe=(
                        "-- online alternative for SET TABLESPACE / ACCESS METHOD: pg_repack, "
                        f"e.g. pg_repack --table={table} --tablespace=<name>",
                    ),
                )
