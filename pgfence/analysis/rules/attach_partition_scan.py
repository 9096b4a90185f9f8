"""attach-partition-scan"""

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
class AttachPartitionScan(Rule):
    """ATTACH PARTITION of an existing table that Postgres must check row by row.

    ## What it does
    Flags `ATTACH PARTITION` of a table that existed before the migration and has no
    valid CHECK constraint that could prove the partition bound.

    ## Why is this bad?
    The parent only gets SHARE UPDATE EXCLUSIVE (PostgreSQL 12+), but the table being
    attached is scanned under ACCESS EXCLUSIVE to check that every row fits the bound:
    queries on it wait for the scan.

    ## Example
    ```sql
    ALTER TABLE events ATTACH PARTITION events_2023
        FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    ```

    ## Use instead
    Prove the bound beforehand with a CHECK constraint validated online; the attach then
    skips the scan, and the check can go afterwards:
    ```sql
    ALTER TABLE events_2023 ADD CONSTRAINT events_2023_bound
        CHECK (created_at IS NOT NULL AND created_at >= '2023-01-01'
               AND created_at < '2024-01-01') NOT VALID;
    ALTER TABLE events_2023 VALIDATE CONSTRAINT events_2023_bound;
    ALTER TABLE events ATTACH PARTITION events_2023
        FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    ALTER TABLE events_2023 DROP CONSTRAINT events_2023_bound;
    ```
    """

    id = "attach-partition-scan"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.MEDIUM
    summary = (
        "ATTACH PARTITION scans the attached table under ACCESS EXCLUSIVE; prove the bound first"
    )
    example_schema = (
        "CREATE TABLE events (id bigint, created_at timestamptz) PARTITION BY RANGE (created_at);"
        " CREATE TABLE events_2023 (id bigint, created_at timestamptz);"
    )
    example_bad = (
        "ALTER TABLE events ATTACH PARTITION events_2023 "
        "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');"
    )
    example_good = (
        "CREATE TABLE events_2025 PARTITION OF events "
        "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_AttachPartition):
            part_cmd = cmd.def_
            if not isinstance(part_cmd, ast.PartitionCmd):
                continue
            child = ctx.catalog.rangevar(part_cmd.name)
            info = ctx.catalog.table(child)
            if info is None or info.new:
                continue  # unknown, or created by this migration: nobody queries it yet
            if info.has_valid_check():
                continue  # a valid CHECK may already prove the bound
            parent = ctx.catalog.table(table)
            key = parent.partition_key if parent is not None else ()
            yield Hit(
                f"attaching {display(child)} scans it under ACCESS EXCLUSIVE to check every row "
                "against the bound: queries on it wait for the scan",
                recipe=_recipe(table, child, key, part_cmd),
            )


def _recipe(table: str, child: str, key: tuple[str, ...], cmd: ast.PartitionCmd) -> tuple[str, ...]:
    condition = bound_condition(key, cmd.bound)
    attach = f"ALTER TABLE {display(table)} ATTACH PARTITION {display(child)} {sql(cmd.bound)};"
    if condition is None:
        return (
            f"-- add a CHECK on {display(child)} that implies the bound (NOT VALID), validate "
            "it in its own transaction, then:",
            attach,
        )
    c, name = display(child), quote_ident(f"{short(child)}_bound")
    return (
        f"ALTER TABLE {c} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID;",
        SEPARATE_TRANSACTION,
        f"ALTER TABLE {c} VALIDATE CONSTRAINT {name};",
        f"{attach}  -- no scan: the check proves the bound",
        f"ALTER TABLE {c} DROP CONSTRAINT {name};",
    )
