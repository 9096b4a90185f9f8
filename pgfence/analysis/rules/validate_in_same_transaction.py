"""validate-in-same-transaction"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import commands
from pgfence.model import Severity


@register
class ValidateInSameTransaction(Rule):
    """VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID.

    ## What it does
    Flags `VALIDATE CONSTRAINT c` when an earlier statement of the same transaction
    added `c` with `NOT VALID` (or took another lock on the table that blocks reads or
    writes).

    ## Why is this bad?
    `NOT VALID` then `VALIDATE` is the online path only because the two run in separate
    transactions: the ADD takes its strong lock briefly, and the validation scans under
    SHARE UPDATE EXCLUSIVE. In one transaction the ADD's ACCESS EXCLUSIVE (or SHARE ROW
    EXCLUSIVE, for a foreign key) is held through the whole validation scan.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
    COMMIT;
    ```

    ## Use instead
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
    -- then, in a separate transaction:
    ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
    ```
    """

    id = "validate-in-same-transaction"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "VALIDATE in the transaction that added the constraint keeps its lock for the scan"
    example_schema = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);"
    example_bad = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\nCOMMIT;\n"
    )
    example_good = (
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_ValidateConstraint):
            added = _added_earlier(ctx, table, cmd.name)
            if added is None:
                continue
            t, name = display(table), quote_ident(cmd.name)
            yield Hit(
                f"{cmd.name} was added at line {added} of this transaction: its lock on {t} is "
                "still held, so the validation scan blocks what the NOT VALID step was meant "
                "to spare",
                recipe=(
                    f"-- COMMIT after line {added}, then, in a separate transaction:",
                    f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};",
                ),
            )


def _added_earlier(ctx: RuleContext, table: str, constraint: str) -> int | None:
    for earlier in ctx.earlier_in_transaction:
        node = earlier.node
        if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
            continue
        if ctx.catalog.rangevar(node.relation) != table:
            continue
        for cmd in node.cmds or ():
            con = cmd.def_
            if (
                cmd.subtype == AlterTableType.AT_AddConstraint
                and isinstance(con, ast.Constraint)
                and con.conname == constraint
            ):
                return earlier.location.line
    return None
