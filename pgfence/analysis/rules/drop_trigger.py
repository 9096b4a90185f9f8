"""drop-trigger"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity


@register
class DropTrigger(Rule):
    """Dropping a trigger of a table in use.

    ## What it does
    Flags `DROP TRIGGER` on a table that existed before the migration.

    ## Why is this bad?
    It takes ACCESS EXCLUSIVE on the table (reads and writes queue behind it), and
    whatever the trigger did — auditing, keeping a column in step, enforcing a rule —
    stops for every write from then on.

    ## Example
    ```sql
    DROP TRIGGER accounts_audit ON accounts;
    ```

    ## Use instead
    Make sure nothing depends on what the trigger did; drop it with a `lock_timeout`.
    """

    id = "drop-trigger"
    nodes = (ast.DropStmt,)
    severity = Severity.LOW
    summary = "DROP TRIGGER takes ACCESS EXCLUSIVE and stops what the trigger enforced"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "DROP TRIGGER accounts_audit ON accounts;"
    example_good = (
        "CREATE TABLE scratch (id int);\nDROP TRIGGER IF EXISTS scratch_audit ON scratch;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.DropStmt) or node.removeType != ObjectType.OBJECT_TRIGGER:
            return
        for obj in node.objects or ():
            parts = list(obj)
            if len(parts) < 2:
                continue
            table = ctx.catalog.names(parts[:-1])
            if ctx.existing(table):
                yield Hit(
                    f"dropping {parts[-1].sval} takes ACCESS EXCLUSIVE on {display(table)}, and "
                    "what the trigger did stops for every write"
                )
