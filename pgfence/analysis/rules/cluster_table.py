"""cluster-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity


@register
class ClusterTable(Rule):
    """CLUSTER in a migration.

    ## What it does
    Flags `CLUSTER` of a table in use (or of every previously clustered table).

    ## Why is this bad?
    It rewrites the table in index order, and rebuilds its indexes, under ACCESS
    EXCLUSIVE: reads and writes wait for the whole rewrite.

    ## Example
    ```sql
    CLUSTER events USING events_created_idx;
    ```

    ## Use instead
    `pg_repack --order-by` does the same online.
    """

    id = "cluster-table"
    nodes = (ast.ClusterStmt,)
    severity = Severity.HIGH
    summary = "CLUSTER rewrites the table under ACCESS EXCLUSIVE; use pg_repack --order-by"
    example_schema = (
        "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz);"
        " CREATE INDEX events_created_idx ON events (created_at);"
    )
    example_bad = "CLUSTER events USING events_created_idx;"
    example_good = "ANALYZE events;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.ClusterStmt):
            return
        if node.relation is None:
            yield Hit("CLUSTER rewrites every previously clustered table under ACCESS EXCLUSIVE")
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        order = f" --order-by=<columns of {node.indexname}>" if node.indexname else ""
        yield Hit(
            f"CLUSTER rewrites {display(table)} under ACCESS EXCLUSIVE: reads and writes wait",
            recipe=(f"-- online, outside the migration:\npg_repack --table={table}{order}",),
        )
