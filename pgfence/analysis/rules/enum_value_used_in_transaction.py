"""enum-value-used-in-transaction"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.expressions import nodes
from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.model import Severity


@register
class EnumValueUsedInTransaction(Rule):
    """Using an enum value in the transaction that added it.

    ## What it does
    Flags a statement that uses a string equal to a value added by `ALTER TYPE … ADD
    VALUE` earlier in the same transaction (including the transaction a migration tool
    wraps around the file).

    ## Why is this bad?
    Since PostgreSQL 12, `ADD VALUE` may run inside a transaction block, but the new
    value cannot be used until that transaction commits: the statement fails with
    `unsafe use of new value`, and the whole migration rolls back. (Before 12, ADD VALUE
    could not run in a transaction block at all.)

    ## Example
    ```sql
    BEGIN;
    ALTER TYPE order_status ADD VALUE 'refunded';
    UPDATE orders SET status = 'refunded' WHERE id = 7;
    COMMIT;
    ```

    ## Use instead
    Commit the new value first, then use it in the next transaction (a separate
    migration, for tools that wrap each file).
    """

    id = "enum-value-used-in-transaction"
    severity = Severity.CRITICAL
    summary = "an enum value used in the transaction that added it: Postgres refuses it"
    example_schema = "CREATE TABLE orders (id bigint PRIMARY KEY, status text);"
    example_bad = (
        "BEGIN;\nALTER TYPE order_status ADD VALUE 'refunded';\n"
        "UPDATE orders SET status = 'refunded' WHERE id = 7;\nCOMMIT;\n"
    )
    example_good = (
        "ALTER TYPE order_status ADD VALUE 'refunded';\n"
        "UPDATE orders SET status = 'refunded' WHERE id = 7;\n"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        added = {
            str(s.node.newVal): s.location.line
            for s in ctx.earlier_in_transaction.of_type(ast.AlterEnumStmt)
            if s.node.newVal
        }
        if not added or isinstance(ctx.statement.node, ast.AlterEnumStmt):
            return
        used = {
            n.val.sval
            for n in nodes(ctx.statement.node)
            if isinstance(n, ast.A_Const) and isinstance(n.val, ast.String)
        }
        for value in sorted(v for v in used & set(added) if v):
            yield Hit(
                f"'{value}' was added to its enum at line {added[value]} of this transaction: it "
                "cannot be used before that commits (unsafe use of new value)",
                recipe=(
                    f"-- COMMIT after line {added[value]}; use '{value}' in a later transaction",
                ),
            )
