"""create-index-blocks-writes"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.expressions import build_concurrently
from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import partitioned_index_recipe
from pgfence.model import RelKind, Severity
from pgfence.pg.rows import Row


@register
class CreateIndexBlocksWrites(Rule):
    """Building an index without CONCURRENTLY on a table that is in use.

    ## What it does
    Flags `CREATE INDEX` (and `CREATE UNIQUE INDEX`) without `CONCURRENTLY` on a table
    that existed before the migration. Tables created by the same migration are fine.

    ## Why is this bad?
    The build holds a SHARE lock for its whole duration: reads go on, but every INSERT,
    UPDATE and DELETE on the table waits until the index is built.

    ## Example
    ```sql
    CREATE INDEX accounts_email_idx ON accounts (email);
    ```

    ## Use instead
    ```sql
    CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);
    ```
    outside a transaction block. If it fails, it leaves an INVALID index behind: drop it
    with `DROP INDEX CONCURRENTLY` and try again.
    """

    id = "create-index-blocks-writes"
    nodes = (ast.IndexStmt,)
    severity = Severity.HIGH
    summary = "CREATE INDEX without CONCURRENTLY blocks writes for the whole build"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "CREATE INDEX accounts_email_idx ON accounts (email);"
    example_good = "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.IndexStmt) or node.concurrent:
            return
        if Row.CREATE_INDEX not in ctx.prediction.rows:
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        info = ctx.catalog.table(table)
        if info is not None and info.kind is RelKind.PARTITIONED_TABLE:
            # CONCURRENTLY is refused on a partitioned table: one partition at a time.
            yield Hit(
                f"building this index holds SHARE on {display(table)} and all its partitions: "
                "every write waits until the build finishes",
                recipe=partitioned_index_recipe(ctx, node, table),
            )
            return
        concurrent = build_concurrently(ctx.sql(node), named=bool(node.idxname))
        yield Hit(
            f"building this index holds SHARE on {display(table)}: every write to it waits "
            "until the build finishes",
            recipe=(f"-- outside any transaction block:\n{concurrent};",),
        )
