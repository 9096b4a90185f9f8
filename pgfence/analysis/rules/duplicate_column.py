"""duplicate-column"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.analysis.statements import column_assignments
from pgfence.model import Severity


@register
class DuplicateColumn(Rule):
    """A statement that names the same column twice where Postgres forbids it.

    ## What it does
    Flags `UPDATE … SET a = …, a = …`, `INSERT INTO t (a, a)`, `CREATE TABLE` with two
    columns of the same name, and `ALTER TABLE` adding a column twice or changing its
    type twice.

    ## Why is this bad?
    Postgres refuses the statement (`multiple assignments to same column`, `column
    specified more than once`, `cannot alter type of column twice`): the migration fails.

    ## Example
    ```sql
    UPDATE accounts SET plan = 'free', plan = 'pro' WHERE id = 1;
    ```

    ## Use instead
    ```sql
    UPDATE accounts SET plan = 'pro' WHERE id = 1;
    ```
    """

    id = "duplicate-column"
    nodes = (ast.UpdateStmt, ast.InsertStmt, ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.CRITICAL
    summary = "the same column assigned or defined twice in one statement: Postgres refuses it"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);"
    example_bad = "UPDATE accounts SET plan = 'free', plan = 'pro' WHERE id = 1;"
    example_good = "UPDATE accounts SET plan = 'pro' WHERE id = 1;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        seen: set[tuple[str, str]] = set()
        reported: set[str] = set()
        for what, column in column_assignments(ctx.statement.node):
            key = (what, column)
            if key in seen and column not in reported:
                reported.add(column)
                yield Hit(
                    f"{column} appears twice in {what}: Postgres refuses the statement",
                )
            seen.add(key)
