"""rename-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import LOCK_TIMEOUT
from pgfence.model import Severity


@register
class RenameTable(Rule):
    """Renaming a table in use.

    ## What it does
    Flags `ALTER TABLE … RENAME TO` of a table that existed before the migration.

    ## Why is this bad?
    The rename is instant, but the code deployed at that moment queries the old name:
    every such query fails until new code is out.

    ## Example
    ```sql
    ALTER TABLE customers RENAME TO accounts;
    ```

    ## Use instead
    Rename, and leave a view under the old name in the same transaction (a simple view
    is updatable, so old code keeps reading and writing); drop the view once no code
    uses the old name.
    ```sql
    BEGIN;
    ALTER TABLE customers RENAME TO accounts;
    CREATE VIEW customers AS SELECT * FROM accounts;
    COMMIT;
    ```
    """

    id = "rename-table"
    nodes = (ast.RenameStmt,)
    severity = Severity.MEDIUM
    summary = "RENAME TO breaks running code that uses the old table name"
    example_schema = "CREATE TABLE customers (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE customers RENAME TO accounts;"
    example_good = "CREATE TABLE accounts_archive (id bigint PRIMARY KEY);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not (
            isinstance(node, ast.RenameStmt)
            and node.renameType == ObjectType.OBJECT_TABLE
            and node.relation is not None
        ):
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        old, new = display(table), quote_ident(str(node.newname))
        schema = table.split(".", 1)[0]
        new_display = display(f"{schema}.{node.newname}")
        yield Hit(
            f"renaming {old} to {node.newname} breaks every running query that names {old}",
            recipe=(
                "BEGIN;",
                LOCK_TIMEOUT.replace("SET ", "SET LOCAL "),
                f"ALTER TABLE {old} RENAME TO {new};",
                f"CREATE VIEW {old} AS SELECT * FROM {new_display};",
                "COMMIT;",
                f"-- once no code uses {old}:\nDROP VIEW {old};",
            ),
        )
