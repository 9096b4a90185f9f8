"""prefer-text"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity


@register
class PreferText(Rule):
    """varchar(n) where text would do.

    ## What it does
    Flags `varchar(n)` / `character varying(n)` columns, in new tables too.

    ## Why is this bad?
    The length limit buys nothing in storage or speed, and raising it later still takes
    ACCESS EXCLUSIVE on the table (lowering it rewrites the table). A limit that is a
    business rule belongs in a CHECK constraint, which can be changed online.

    ## Example
    ```sql
    CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(255));
    ```

    ## Use instead
    ```sql
    CREATE TABLE accounts (
        id bigint PRIMARY KEY,
        email text CHECK (char_length(email) <= 255)
    );
    ```
    """

    id = "prefer-text"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = (
        "varchar(n): changing n later locks the table; use text (and a CHECK if the limit matters)"
    )
    example_bad = "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(255));"
    example_good = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, "
        "email text CHECK (char_length(email) <= 255));"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, column, type_, _ in defined_columns(ctx):
            if type_name(type_) == "varchar" and type_.typmods:
                yield Hit(
                    f"{display(table)}.{column} is {ctx.sql(type_)}: changing the limit later "
                    "locks the table; text with a CHECK (char_length(…) <= n) can be changed "
                    "online",
                )
