"""detach-partition-blocking"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import OUTSIDE_TRANSACTION, commands
from pgfence.model import Severity


@register
class DetachPartitionBlocking(Rule):
    """DETACH PARTITION without CONCURRENTLY.

    ## What it does
    Flags `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` (PostgreSQL 14+) on a
    partitioned table in use.

    ## Why is this bad?
    It takes ACCESS EXCLUSIVE on the parent: every query on the whole partitioned table
    waits, and the request queues behind any long query on any partition. Tables whose
    foreign keys reference the parent are checked again while the lock is held.

    ## Example
    ```sql
    ALTER TABLE events DETACH PARTITION events_2019;
    ```

    ## Use instead
    ```sql
    ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;
    ```
    outside a transaction block (not possible while the table has a DEFAULT partition).
    """

    id = "detach-partition-blocking"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.MEDIUM
    summary = "DETACH PARTITION without CONCURRENTLY locks the whole partitioned table"
    example_schema = (
        "CREATE TABLE events (id bigint, created_at timestamptz) PARTITION BY RANGE (created_at);"
        " CREATE TABLE events_2019 PARTITION OF events"
        " FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');"
    )
    example_bad = "ALTER TABLE events DETACH PARTITION events_2019;"
    example_good = "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_DetachPartition):
            part = cmd.def_
            if not isinstance(part, ast.PartitionCmd) or part.concurrent:
                continue
            child = display(ctx.catalog.rangevar(part.name))
            info = ctx.catalog.table(table)
            has_default = info is not None and info.default_partition is not None
            recipe = (
                (
                    "-- CONCURRENTLY is refused while a DEFAULT partition exists: detach at a "
                    "quiet time, with SET lock_timeout = '2s'",
                )
                if has_default
                else (
                    f"{OUTSIDE_TRANSACTION}\nALTER TABLE {display(table)} DETACH PARTITION "
                    f"{child} CONCURRENTLY;",
                )
            )
            yield Hit(
                f"detaching {child} takes ACCESS EXCLUSIVE on {display(table)}: every query on "
                "the partitioned table waits",
                recipe=recipe,
            )
