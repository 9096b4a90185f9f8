"""drop-index-blocks-reads"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity
from pgfence.pg.rows import Row


@register
class DropIndexBlocksReads(Rule):
    """Dropping an index without CONCURRENTLY.

    ## What it does
    Flags `DROP INDEX` without `CONCURRENTLY` for an index of an existing table.

    ## Why is this bad?
    It takes ACCESS EXCLUSIVE on the index's table. The drop itself is quick, but the
    lock request queues behind any running query on the table, and every read and write
    queues behind the lock request.

    ## Example
    ```sql
    DROP INDEX accounts_email_idx;
    ```

    ## Use instead
    ```sql
    DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;
    ```
    outside a transaction block.
    """

    id = "drop-index-blocks-reads"
    nodes = (ast.DropStmt,)
    severity = Severity.MEDIUM
    summary = "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
        " CREATE INDEX accounts_email_idx ON accounts (email);"
    )
    example_bad = "DROP INDEX accounts_email_idx;"
    example_good = "DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if (
            not isinstance(node, ast.DropStmt)
            or node.concurrent
            or Row.DROP_INDEX not in ctx.prediction.rows
        ):
            return
        for lock in ctx.prediction.locks:
            if lock.role == "index" and not lock.new and ctx.existing(lock.relation):
                table = ctx.catalog.table_of_index(lock.relation)
                on = f" on {display(table)}" if table else ""
                yield Hit(
                    f"dropping {display(lock.relation)} takes ACCESS EXCLUSIVE{on}: every query "
                    "on the table queues behind it",
                    recipe=(
                        "-- outside any transaction block:\n"
                        f"DROP INDEX CONCURRENTLY IF EXISTS {display(lock.relation)};",
                    ),
                )
