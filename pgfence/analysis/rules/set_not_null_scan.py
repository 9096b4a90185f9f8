"""set-not-null-scan"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import commands, not_null_steps
from pgfence.model import Severity
from pgfence.pg.rows import Row


@register
class SetNotNullScan(Rule):
    """Making a column NOT NULL by scanning the table under ACCESS EXCLUSIVE.

    ## What it does
    Flags `ALTER COLUMN … SET NOT NULL` on an existing table unless a validated
    `CHECK (col IS NOT NULL)` constraint already proves it (PostgreSQL 12+ then skips
    the scan), and PostgreSQL 18's `ADD CONSTRAINT … NOT NULL col` without `NOT VALID`.

    ## Why is this bad?
    Postgres reads every row to check for NULLs while holding ACCESS EXCLUSIVE: reads and
    writes wait for the whole scan.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
    ```

    ## Use instead
    Add `CHECK (email IS NOT NULL) NOT VALID`, validate it in another transaction, then
    SET NOT NULL (instant: the check proves it) and drop the check. On PostgreSQL 18,
    `ADD CONSTRAINT … NOT NULL email NOT VALID` and a later `VALIDATE CONSTRAINT` do the
    same in two steps.
    """

    id = "set-not-null-scan"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;"
    example_good = (
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null "
        "CHECK (email IS NOT NULL) NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        rows = ctx.prediction.rows
        if (
            Row.ALTER_TABLE__SET_NOT_NULL not in rows
            and Row.ALTER_TABLE__ADD_NOT_NULL_CONSTRAINT not in rows
        ):
            return
        for table, cmd in commands(
            ctx, AlterTableType.AT_SetNotNull, AlterTableType.AT_AddConstraint
        ):
            if cmd.subtype == AlterTableType.AT_SetNotNull:
                column = str(cmd.name)
            elif (
                isinstance(cmd.def_, ast.Constraint)
                and cmd.def_.contype == ConstrType.CONSTR_NOTNULL
                and not cmd.def_.skip_validation
                and cmd.def_.keys
            ):
                column = str(cmd.def_.keys[0].sval)
            else:
                continue
            info = ctx.catalog.table(table)
            if info is not None and (
                info.not_null_proven(column)
                or (column in info.columns and info.columns[column].not_null)
            ):
                continue
            yield Hit(
                f"making {column} NOT NULL scans {display(table)} under ACCESS EXCLUSIVE: reads "
                "and writes wait for the scan",
                recipe=not_null_steps(ctx, table, column),
            )
