"""ban-char"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity


@register
class BanChar(Rule):
    """char(n) columns.

    ## What it does
    Flags `char(n)` / `character(n)` columns, in new tables too.

    ## Why is this bad?
    Values are padded with spaces to `n` characters, the padding is ignored in some
    comparisons and not in others (`LIKE`, casts to text), and it is no faster or smaller
    than `text`.

    ## Example
    ```sql
    CREATE TABLE countries (code char(2) PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2));
    ```
    """

    id = "ban-char"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "char(n) pads with spaces and compares inconsistently; use text"
    example_bad = "CREATE TABLE countries (code char(2) PRIMARY KEY);"
    example_good = "CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2));"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, column, type_, _ in defined_columns(ctx):
            # `char(n)` parses as pg_catalog.bpchar; the quoted one-byte "char" is another type.
            if type_name(type_) == "bpchar":
                yield Hit(
                    f"{display(table)}.{column} is {ctx.sql(type_)}: it pads with spaces; use text "
                    "with a CHECK on the length",
                )
