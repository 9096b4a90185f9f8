"""attach-partition-default-scan"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import (
    SEPARATE_TRANSACTION,
    bound_condition,
    commands,
    short,
    sql,
)
from pgfence.model import Severity


@register
class AttachPartitionDefaultScan(Rule):
    """Attaching or creating a partition while a DEFAULT partition exists.

    ## What it does
    Flags `ATTACH PARTITION` and `CREATE TABLE … PARTITION OF` on a partitioned table
    that has a DEFAULT partition in use.

    ## Why is this bad?
    Postgres must make sure no row of the DEFAULT partition belongs to the new bound: it
    scans the whole DEFAULT partition under ACCESS EXCLUSIVE. Queries on the parent that
    touch the DEFAULT partition wait for the scan — and the DEFAULT partition is often
    the biggest one.

    ## Example
    ```sql
    CREATE TABLE events_2025 PARTITION OF events
        FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');  -- events has a DEFAULT partition
    ```

    ## Use instead
    Give the DEFAULT partition a CHECK constraint, validated online, that excludes the new
    bound; the scan is then skipped:
    ```sql
    ALTER TABLE events_default ADD CONSTRAINT events_default_not_2025
        CHECK (NOT (created_at IS NOT NULL AND created_at >= '2025-01-01'
                    AND created_at < '2026-01-01')) NOT VALID;
    ALTER TABLE events_default VALIDATE CONSTRAINT events_default_not_2025;
    ```
    then create or attach the partition.
    """

    id = "attach-partition-default-scan"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.HIGH
    summary = "a new partition makes Postgres scan the DEFAULT partition under ACCESS EXCLUSIVE"
    example_schema = (
        "CREATE TABLE events (id bigint, created_at timestamptz) PARTITION BY RANGE (created_at);"
        " CREATE TABLE events_default PARTITION OF events DEFAULT;"
    )
    example_bad = (
        "CREATE TABLE events_2025 PARTITION OF events "
        "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
    )
    example_good = (
        "ALTER TABLE events_default ADD CONSTRAINT events_default_not_2025 CHECK (NOT ("
        "created_at IS NOT NULL AND created_at >= '2025-01-01' AND created_at < '2026-01-01'))"
        " NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for parent, bound in _new_bounds(ctx):
            info = ctx.catalog.table(parent)
            if info is None or info.default_partition is None:
                continue
            default = info.default_partition
            if not ctx.existing(default):
                continue
            yield Hit(
                f"the DEFAULT partition {display(default)} is scanned under ACCESS EXCLUSIVE for "
                f"rows of the new bound: queries on {display(parent)} that reach it wait",
                recipe=_recipe(default, info.partition_key, bound),
            )


def _new_bounds(ctx: RuleContext) -> Iterator[tuple[str, object]]:
    node = ctx.statement.node
    if isinstance(node, ast.CreateStmt) and node.partbound is not None and node.inhRelations:
        if not node.partbound.is_default:
            yield ctx.catalog.rangevar(node.inhRelations[0]), node.partbound
        return
    for table, cmd in commands(ctx, AlterTableType.AT_AttachPartition):
        bound = cmd.def_.bound if isinstance(cmd.def_, ast.PartitionCmd) else None
        if bound is not None and not bound.is_default:
            yield table, bound


def _recipe(default: str, key: tuple[str, ...], bound: object) -> tuple[str, ...]:
    condition = bound_condition(key, bound)
    d = display(default)
    if condition is None:
        return (
            f"-- add to {d} a CHECK constraint that excludes the new bound "
            f"({sql(bound)}), NOT VALID, and validate it in its own transaction first",
        )
    name = quote_ident(f"{short(default)}_excludes_new_bound")
    return (
        f"ALTER TABLE {d} ADD CONSTRAINT {name} CHECK (NOT ({condition})) NOT VALID;",
        SEPARATE_TRANSACTION,
        f"ALTER TABLE {d} VALIDATE CONSTRAINT {name};",
        "-- then create or attach the partition: the DEFAULT partition is not scanned",
    )
