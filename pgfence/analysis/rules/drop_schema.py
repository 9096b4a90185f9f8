"""drop-schema"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.model import Severity


@register
class DropSchema(Rule):
    """Dropping a schema with CASCADE.

    ## What it does
    Flags `DROP SCHEMA … CASCADE`. A plain `DROP SCHEMA` fails on a schema that still
    holds objects, so it is not reported.

    ## Why is this bad?
    Every table, view, function and type in the schema is dropped with it, with their
    data, in one statement that locks each of them ACCESS EXCLUSIVE.

    ## Example
    ```sql
    DROP SCHEMA reporting CASCADE;
    ```

    ## Use instead
    Drop the objects one by one, each a decision of its own; then `DROP SCHEMA reporting;`
    (without CASCADE, it refuses to drop anything left behind).
    """

    id = "drop-schema"
    nodes = (ast.DropStmt,)
    severity = Severity.CRITICAL
    summary = "DROP SCHEMA … CASCADE drops every object in it, with the data"
    example_bad = "DROP SCHEMA reporting CASCADE;"
    example_good = "DROP SCHEMA reporting;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if (
            isinstance(node, ast.DropStmt)
            and node.removeType == ObjectType.OBJECT_SCHEMA
            and node.behavior == DropBehavior.DROP_CASCADE
        ):
            for obj in node.objects or ():
                schema = getattr(obj, "sval", None) or str(obj)
                tables = [t for t in ctx.catalog.tables if t.split(".", 1)[0] == schema]
                known = f" (known tables: {', '.join(tables)})" if tables else ""
                yield Hit(
                    f"CASCADE drops every object in schema {schema}, with its data{known}",
                    recipe=(f"-- drop its objects one by one, then:\nDROP SCHEMA {schema};",),
                )
