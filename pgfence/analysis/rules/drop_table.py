"""drop-table"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import LOCK_TIMEOUT, short
from pgfence.model import Severity


@register
class DropTable(Rule):
    """Dropping a table that is in use.

    ## What it does
    Flags `DROP TABLE` of a table that existed before the migration (or that the
    migration filled). Dropping a table the migration itself created is fine.

    ## Why is this bad?
    The data is gone for good, and running code that still queries the table fails. The
    drop takes ACCESS EXCLUSIVE on the table and on the tables its foreign keys connect
    it to; with `CASCADE` it also drops views and foreign keys of other tables.

    ## Example
    ```sql
    DROP TABLE legacy_events;
    ```

    ## Use instead
    Deploy code that no longer uses the table first; keep a backup or rename it aside
    for a while, then drop it with a `lock_timeout`, and silence this finding on that
    statement (`-- pgfence-ignore: drop-table`).
    """

    id = "drop-table"
    nodes = (ast.DropStmt,)
    severity = Severity.CRITICAL
    summary = "DROP TABLE of a table in use loses its data and breaks code that uses it"
    example_schema = "CREATE TABLE legacy_events (id bigint PRIMARY KEY);"
    example_bad = "DROP TABLE legacy_events;"
    example_good = "CREATE TABLE scratch (id int);\nDROP TABLE scratch;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.DropStmt) or node.removeType not in (
            ObjectType.OBJECT_TABLE,
            ObjectType.OBJECT_FOREIGN_TABLE,
        ):
            return
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for obj in node.objects or ():
            table = ctx.catalog.names(obj)
            if not ctx.existing(table):
                continue
            if node.missing_ok and ctx.catalog.complete and ctx.catalog.table(table) is None:
                continue
            extra = (
                " and, with CASCADE, the views and foreign keys that depend on it"
                if cascade
                else ""
            )
            retired = f"{short(table)}_retired"
            schema = table.split(".", 1)[0]
            yield Hit(
                f"dropping {display(table)} deletes its data{extra}; code that still queries it "
                "fails",
                recipe=(
                    "-- 1. deploy code that no longer uses the table",
                    f"-- 2. keep it aside for a while:\n{LOCK_TIMEOUT}\n"
                    f"ALTER TABLE {display(table)} RENAME TO {quote_ident(retired)};",
                    "-- 3. later:\nDROP TABLE IF EXISTS "
                    f"{display(schema + '.' + quote_ident(retired))};",
                ),
            )
