"""disable-trigger"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import commands
from pgfence.model import Severity

_DISABLE = (
    AlterTableType.AT_DisableTrig,
    AlterTableType.AT_DisableTrigAll,
    AlterTableType.AT_DisableTrigUser,
)
_ENABLE = (
    AlterTableType.AT_EnableTrig,
    AlterTableType.AT_EnableAlwaysTrig,
    AlterTableType.AT_EnableReplicaTrig,
    AlterTableType.AT_EnableTrigAll,
    AlterTableType.AT_EnableTrigUser,
)


@register
class DisableTrigger(Rule):
    """Disabling (or re-enabling) triggers of a table in use.

    ## What it does
    Flags `ALTER TABLE … DISABLE TRIGGER` (and `ENABLE TRIGGER`, at low severity) on a
    table that existed before the migration.

    ## Why is this bad?
    A disabled trigger is off for every session, not just the migration's: audits,
    derived columns and checks stop until it is enabled again. `DISABLE TRIGGER ALL`
    also switches off the internal triggers that enforce foreign keys, so rows that break
    them can be written. Both take SHARE ROW EXCLUSIVE, blocking writes until commit.

    ## Example
    ```sql
    ALTER TABLE orders DISABLE TRIGGER ALL;
    ```

    ## Use instead
    For the migration's own bulk work, `SET session_replication_role = replica` in that
    session only (skips ordinary triggers for it alone); leave foreign keys enforced.
    """

    id = "disable-trigger"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.MEDIUM
    summary = "DISABLE TRIGGER turns it off for every session (ALL: foreign keys too)"
    example_schema = "CREATE TABLE orders (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE orders DISABLE TRIGGER ALL;"
    example_good = "SET session_replication_role = replica;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, *_DISABLE, *_ENABLE):
            t = display(table)
            if cmd.subtype in _ENABLE:
                yield Hit(
                    f"enabling triggers of {t} blocks writes until commit; rows written while "
                    "they were off were not seen by them",
                    severity=Severity.LOW,
                )
                continue
            what = (
                "every trigger, including those enforcing foreign keys,"
                if (cmd.subtype == AlterTableType.AT_DisableTrigAll)
                else f"trigger {cmd.name or 'USER'}"
            )
            yield Hit(
                f"this turns off {what} on {t} for every session until enabled again",
                recipe=(
                    "-- only for this session's own bulk work, not for everyone:\n"
                    "SET session_replication_role = replica;",
                ),
            )
