"""drop-not-null"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import commands
from pgfence.model import Severity


@register
class DropNotNull(Rule):
    """Dropping NOT NULL from a column of a table in use.

    ## What it does
    Flags `ALTER COLUMN … DROP NOT NULL` on a table that existed before the migration.

    ## Why is this bad?
    It is instant, but hard to take back: once NULLs have been written, putting the
    constraint back needs a backfill and a full validation, and code that assumed the
    column is never NULL starts to see NULLs.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;
    ```

    ## Use instead
    Make sure the code reading the column handles NULL first; if the aim is to drop the
    column, drop it instead.
    """

    id = "drop-not-null"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.LOW
    summary = "DROP NOT NULL is easy to do and costly to undo; readers start seeing NULLs"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);"
    example_bad = "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;"
    example_good = "ALTER TABLE accounts ALTER COLUMN email SET DEFAULT '';"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_DropNotNull):
            yield Hit(
                f"{display(table)}.{cmd.name} may now hold NULLs: code that assumed it never does "
                "will see them, and restoring NOT NULL later needs a backfill and a validation"
            )
