"""lock-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity
from pgfence.pg.locks import LockMode


@register
class LockTable(Rule):
    """An explicit LOCK TABLE in a migration.

    ## What it does
    Flags `LOCK TABLE` in a mode that blocks reads or writes, on a table in use.

    ## Why is this bad?
    The lock is held until the transaction ends, whatever runs after it; in ACCESS
    EXCLUSIVE mode (the default) even reads wait. Taken at the top of a transaction,
    it blocks the table for the whole migration.

    ## Example
    ```sql
    LOCK TABLE accounts;
    ```

    ## Use instead
    Let each statement take the lock it needs, as late and as briefly as possible; if a
    lock is really needed, take the weakest mode that works and keep the transaction
    short, with a `lock_timeout`.
    """

    id = "lock-table"
    nodes = (ast.LockStmt,)
    severity = Severity.MEDIUM
    summary = "explicit LOCK TABLE holds a blocking lock until the transaction ends"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "LOCK TABLE accounts;"
    example_good = "LOCK TABLE accounts IN ACCESS SHARE MODE;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.LockStmt):
            return
        mode = LockMode(node.mode)
        if not (mode.blocks_reads or mode.blocks_writes):
            return
        tables = [ctx.catalog.rangevar(rv) for rv in node.relations or ()]
        tables = [t for t in tables if ctx.existing(t)]
        if tables:
            what = "every query" if mode.blocks_reads else "every write"
            yield Hit(
                f"{mode.sql_name} on {', '.join(map(display, tables))} is held until the "
                f"transaction ends: {what} waits until then"
            )
