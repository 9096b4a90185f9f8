"""create-trigger"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity


@register
class CreateTrigger(Rule):
    """Creating a trigger on a table in use.

    ## What it does
    Flags `CREATE TRIGGER` (and `CREATE OR REPLACE TRIGGER`) on a table that existed
    before the migration.

    ## Why is this bad?
    It takes SHARE ROW EXCLUSIVE, which blocks writes until the transaction ends, and
    from then on every INSERT / UPDATE / DELETE on the table runs the trigger function:
    a slow or failing function slows or fails every write.

    ## Example
    ```sql
    CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts
        FOR EACH ROW EXECUTE FUNCTION audit_row();
    ```

    ## Use instead
    Keep the function small and tested; create the trigger in a transaction of its own,
    with a `lock_timeout`.
    """

    id = "create-trigger"
    nodes = (ast.CreateTrigStmt,)
    severity = Severity.LOW
    summary = "CREATE TRIGGER blocks writes briefly and adds work to every write"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = (
        "CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts "
        "FOR EACH ROW EXECUTE FUNCTION audit_row();"
    )
    example_good = (
        "CREATE TABLE audit (id bigint);\n"
        "CREATE TRIGGER audit_guard BEFORE UPDATE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_row();"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.CreateTrigStmt) or node.relation is None:
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        function = ".".join(n.sval for n in node.funcname or ())
        yield Hit(
            f"from now on every write to {display(table)} runs {function}(); creating the "
            "trigger blocks writes until the transaction ends"
        )
