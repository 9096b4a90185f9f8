"""drop-database"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.model import Severity


@register
class DropDatabase(Rule):
    """Dropping a database in a migration.

    ## What it does
    Flags `DROP DATABASE`.

    ## Why is this bad?
    Everything in that database is gone for good. It has no place in a schema migration
    that runs unattended; Postgres also refuses it inside a transaction block and while
    anyone is connected (unless `WITH (FORCE)`, which disconnects them).

    ## Example
    ```sql
    DROP DATABASE analytics;
    ```

    ## Use instead
    Drop databases by hand, after a backup, outside the migration history.
    """

    id = "drop-database"
    nodes = (ast.DropdbStmt,)
    severity = Severity.CRITICAL
    summary = "DROP DATABASE in a migration"
    example_bad = "DROP DATABASE analytics;"
    example_good = "CREATE SCHEMA analytics;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if isinstance(node, ast.DropdbStmt):
            yield Hit(f"dropping database {node.dbname} deletes everything in it")
