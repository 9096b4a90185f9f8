"""drop-column"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import LOCK_TIMEOUT, commands
from pgfence.model import Severity


@register
class DropColumn(Rule):
    """Dropping a column of a table in use.

    ## What it does
    Flags `ALTER TABLE … DROP COLUMN` on a table that existed before the migration.

    ## Why is this bad?
    The data is gone for good, and any running code that still reads or writes the column
    (or selects `*` into a fixed structure, as ORMs do) fails from that moment. Indexes
    and foreign keys on the column are dropped with it.

    ## Example
    ```sql
    ALTER TABLE accounts DROP COLUMN legacy_code;
    ```

    ## Use instead
    First deploy code that no longer uses the column (tell the ORM to ignore it), then
    drop it with a `lock_timeout`; silence this finding on that statement with
    `-- pgfence-ignore: drop-column` once that is done.
    """

    id = "drop-column"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.CRITICAL
    summary = "DROP COLUMN loses the data, and breaks code that still uses the column"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, legacy_code text);"
    example_bad = "ALTER TABLE accounts DROP COLUMN legacy_code;"
    example_good = "ALTER TABLE accounts ALTER COLUMN legacy_code DROP DEFAULT;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_DropColumn):
            t, c = display(table), quote_ident(cmd.name)
            yield Hit(
                f"dropping {cmd.name} deletes its data from {t}, and running code that still uses "
                "it fails",
                recipe=(
                    "-- 1. deploy code that no longer reads or writes the column "
                    "(e.g. Rails ignored_columns, Django SeparateDatabaseAndState)",
                    "-- 2. then, in a later migration:",
                    LOCK_TIMEOUT,
                    f"ALTER TABLE {t} DROP COLUMN IF EXISTS {c};",
                ),
            )
