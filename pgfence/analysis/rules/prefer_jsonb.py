"""prefer-jsonb"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity


@register
class PreferJsonb(Rule):
    """json instead of jsonb.

    ## What it does
    Flags `json` columns, in new tables too.

    ## Why is this bad?
    `json` keeps the text as written and parses it on every access; it has no equality
    operator (so no `DISTINCT`, `GROUP BY` or unique index) and cannot be indexed with
    GIN. Converting it to `jsonb` later rewrites the table.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload json);
    ```

    ## Use instead
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);
    ```
    """

    id = "prefer-jsonb"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "json instead of jsonb: no equality, no GIN index, parsed on every access"
    example_bad = "CREATE TABLE events (id bigint PRIMARY KEY, payload json);"
    example_good = "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, column, type_, _ in defined_columns(ctx):
            if type_name(type_) == "json":
                yield Hit(f"{display(table)}.{column} is json: use jsonb")
