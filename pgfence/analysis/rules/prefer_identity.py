"""prefer-identity"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity

_SERIALS = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


@register
class PreferIdentity(Rule):
    """serial instead of an identity column.

    ## What it does
    Flags `serial`, `bigserial` and `smallserial` columns, in new tables too.

    ## Why is this bad?
    `serial` is a sequence plus a default, loosely tied together: permissions on the
    sequence are separate, `INSERT`s can bypass it and collide with it later, and copying
    the table definition keeps pointing at the old sequence. Identity columns (SQL
    standard, PostgreSQL 10+) have none of these problems.

    ## Example
    ```sql
    CREATE TABLE orders (id bigserial PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```
    """

    id = "prefer-identity"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "serial columns: prefer GENERATED … AS IDENTITY"
    example_bad = "CREATE TABLE orders (id bigserial PRIMARY KEY);"
    example_good = "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, column, type_, col in defined_columns(ctx):
            name = type_name(type_)
            if col is not None and name in _SERIALS:
                base = _SERIALS[name]
                yield Hit(
                    f"{display(table)}.{column} is {name}: an identity column is the standard, "
                    "tighter form",
                    recipe=(
                        f"-- instead: {quote_ident(column)} {base} GENERATED ALWAYS AS IDENTITY",
                    ),
                )
