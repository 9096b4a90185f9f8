"""alter-column-type-rebuilds-index"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.expressions import build_concurrently
from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import OUTSIDE_TRANSACTION, commands
from pgfence.model import Severity
from pgfence.pg.rows import Row

_ROW = Row.ALTER_TABLE__ALTER_COLUMN_TYPE__REBUILDS_INDEX


@register
class AlterColumnTypeRebuildsIndex(Rule):
    """A type change that rewrites no table but rebuilds its partial or expression indexes.

    ## What it does
    Flags a binary-coercible `ALTER COLUMN … TYPE` (varchar -> text, a wider varchar)
    on a column that a partial index (`WHERE …`) or an expression index uses. Postgres
    keeps the other indexes, but it rebuilds these: it does not compare predicates or
    expressions, so it cannot tell that they are unchanged.

    ## Why is this bad?
    Each rebuild reads the whole table while the ALTER holds ACCESS EXCLUSIVE on it:
    reads and writes wait for every index build, although the change itself is only a
    catalog update.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN email TYPE text;  -- accounts_active_email_idx … WHERE active
    ```

    ## Use instead
    Drop the index concurrently first, change the type (now instant), then build the index
    again concurrently.
    """

    id = "alter-column-type-rebuilds-index"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ALTER COLUMN TYPE without a rewrite still rebuilds partial and expression indexes"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(50), active bool);"
        " CREATE INDEX accounts_active_email_idx ON accounts (email) WHERE active;"
    )
    example_bad = "ALTER TABLE accounts ALTER COLUMN email TYPE text;"
    example_good = (
        "DROP INDEX CONCURRENTLY IF EXISTS accounts_active_email_idx;\n"
        "ALTER TABLE accounts ALTER COLUMN email TYPE text;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        if _ROW not in ctx.prediction.rows:
            return
        # The row rewrites only the rebuilt indexes (the table is not rewritten).
        rebuilt = [
            i for i in ctx.prediction.rewrites if i in ctx.catalog.indexes and ctx.existing(i)
        ]
        if not rebuilt:
            return
        for table, cmd in commands(ctx, AlterTableType.AT_AlterColumnType):
            t = display(table)
            names = ", ".join(display(i) for i in rebuilt)
            drops = [f"DROP INDEX CONCURRENTLY IF EXISTS {display(i)};" for i in rebuilt]
            builds = [
                f"{build_concurrently(ctx.catalog.indexes[i].definition)};"
                if ctx.catalog.indexes[i].definition
                else f"-- build {display(i)} again with CONCURRENTLY (pg_get_indexdef shows it)"
                for i in rebuilt
            ]
            yield Hit(
                f"changing {cmd.name} to {ctx.sql(cmd.def_.typeName)} rebuilds {names}: each build "
                f"reads all of {t} under ACCESS EXCLUSIVE, so reads and writes wait",
                recipe=(
                    f"{OUTSIDE_TRANSACTION}\n" + "\n".join(drops),
                    f"ALTER TABLE {t} ALTER COLUMN {cmd.name} TYPE {ctx.sql(cmd.def_.typeName)};",
                    f"{OUTSIDE_TRANSACTION}\n" + "\n".join(builds),
                ),
            )
            return
