"""truncate-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity


@register
class TruncateTable(Rule):
    """TRUNCATE of a table in use.

    ## What it does
    Flags `TRUNCATE` of a table that existed before the migration (or that the
    migration filled), and says which other tables `CASCADE` empties too.

    ## Why is this bad?
    Every row is gone, without a trace in the table's history; it takes ACCESS EXCLUSIVE
    on the table (and, with `CASCADE`, on every table whose foreign keys point at it,
    which are emptied as well).

    ## Example
    ```sql
    TRUNCATE sessions;
    ```

    ## Use instead
    Delete what must go in batches (`DELETE … WHERE id IN (SELECT id … LIMIT 10000)`),
    or, when emptying the table is really meant, silence this finding on the statement
    with `-- pgfence-ignore: truncate-table`.
    """

    id = "truncate-table"
    nodes = (ast.TruncateStmt,)
    severity = Severity.CRITICAL
    summary = "TRUNCATE deletes every row of a table in use (CASCADE: of others too)"
    example_schema = "CREATE TABLE sessions (id bigint PRIMARY KEY);"
    example_bad = "TRUNCATE sessions;"
    example_good = "DELETE FROM sessions WHERE id = 1;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.TruncateStmt):
            return
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for rv in node.relations or ():
            table = ctx.catalog.rangevar(rv)
            if not ctx.existing(table):
                continue
            others = ctx.catalog.referencing_tables(table) if cascade else []
            also = f"; CASCADE also empties {', '.join(map(display, others))}" if others else ""
            also = also or (
                "; CASCADE also empties the tables that reference it" if cascade else ""
            )
            yield Hit(
                f"TRUNCATE deletes every row of {display(table)} under ACCESS EXCLUSIVE{also}",
                recipe=(
                    "-- delete in batches, each its own transaction, until it deletes 0 rows:\n"
                    f"DELETE FROM {display(table)} WHERE ctid = ANY (ARRAY("
                    f"SELECT ctid FROM {display(table)} LIMIT 10000));",
                ),
            )
