"""set-not-null-scan"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rules import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.model import Severity


@register
class SetNotNullScan(Rule):
    """Making a column NOT NULL by scanning the table under ACCESS EXCLUSIVE.

    ## What it does
    Flags `ALTER COLUMN … SET NOT NULL` on an existing table unless a validated
    `CHECK (col IS NOT NULL)` constraint already proves it (PostgreSQL 12+ then skips
    the scan).

    ## Why is this bad?
    Postgres reads every row to check for NULLs while holding ACCESS EXCLUSIVE: reads and
    writes wait for the whole scan.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
    ```

    ## Use instead
    Add `CHECK (email IS NOT NULL) NOT VALID`, validate it in another transaction, then
    SET NOT NULL (instant: the check proves it) and drop the check.
    """

    id = "set-not-null-scan"
    severity = Severity.HIGH
    summary = "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;"
    example_good = (
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null "
        "CHECK (email IS NOT NULL) NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if "alter-table.set-not-null" not in ctx.prediction.rows:
            return
        assert isinstance(node, ast.AlterTableStmt)
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        for cmd in node.cmds or ():
            if cmd.subtype != AlterTableType.AT_SetNotNull:
                continue
            t, c = display(table), quote_ident(cmd.name)
            check = quote_ident(f"{table.split('.')[-1]}_{cmd.name}_not_null")
            yield Hit(
                f"SET NOT NULL on {cmd.name} scans {t} under ACCESS EXCLUSIVE: reads and writes "
                "wait for the scan",
                recipe=(
                    f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;",
                    "-- in a separate transaction:",
                    f"ALTER TABLE {t} VALIDATE CONSTRAINT {check};",
                    f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;  -- no scan now",
                    f"ALTER TABLE {t} DROP CONSTRAINT {check};",
                ),
            )
