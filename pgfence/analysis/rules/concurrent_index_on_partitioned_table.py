"""concurrent-index-on-partitioned-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import partitioned_index_recipe
from pgfence.model import RelKind, Severity


@register
class ConcurrentIndexOnPartitionedTable(Rule):
    """CREATE INDEX CONCURRENTLY on a partitioned table.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY` on a table the schema knows to be partitioned.

    ## Why is this bad?
    Postgres (up to 18) refuses it: `cannot create index on partitioned table
    concurrently`. The migration fails.

    ## Example
    ```sql
    CREATE INDEX CONCURRENTLY events_created_idx ON events (created_at);
    ```

    ## Use instead
    An index on the parent only (catalog only, left invalid), one concurrent build per
    partition, then attach each; the parent's index becomes valid when all are attached:
    ```sql
    CREATE INDEX IF NOT EXISTS events_created_idx ON ONLY events (created_at);
    CREATE INDEX CONCURRENTLY IF NOT EXISTS events_2024_created_idx ON events_2024 (created_at);
    ALTER INDEX events_created_idx ATTACH PARTITION events_2024_created_idx;
    ```
    """

    id = "concurrent-index-on-partitioned-table"
    nodes = (ast.IndexStmt,)
    severity = Severity.CRITICAL
    summary = "CREATE INDEX CONCURRENTLY on a partitioned table: Postgres refuses it"
    example_schema = (
        "CREATE TABLE events (id bigint, created_at timestamptz) PARTITION BY RANGE (created_at);"
        " CREATE TABLE events_2024 PARTITION OF events"
        " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
    )
    example_bad = (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_created_idx ON events (created_at);"
    )
    example_good = (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_2024_created_idx "
        "ON events_2024 (created_at);"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.IndexStmt) or not node.concurrent or node.relation is None:
            return
        table = ctx.catalog.rangevar(node.relation)
        info = ctx.catalog.table(table)
        if info is None or info.kind is not RelKind.PARTITIONED_TABLE:
            return
        yield Hit(
            f"{display(table)} is partitioned: Postgres refuses CREATE INDEX CONCURRENTLY on it",
            recipe=partitioned_index_recipe(ctx, node, table),
        )
