"""set-logged-unlogged"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import commands
from pgfence.model import Severity


@register
class SetLoggedUnlogged(Rule):
    """Switching a table in use between LOGGED and UNLOGGED.

    ## What it does
    Flags `ALTER TABLE … SET LOGGED` and `SET UNLOGGED` on a table that existed before
    the migration.

    ## Why is this bad?
    Both rewrite the table and its indexes under ACCESS EXCLUSIVE (`SET LOGGED` also
    writes the whole table to the WAL, which replicas must replay): reads and writes wait
    for the copy. An UNLOGGED table is emptied after a crash and is not replicated.

    ## Example
    ```sql
    ALTER TABLE events SET UNLOGGED;
    ```

    ## Use instead
    Decide at `CREATE TABLE` time; to change an existing large table, build a new one
    with the wanted persistence, copy in batches and swap names in one short transaction.
    """

    id = "set-logged-unlogged"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "SET LOGGED / UNLOGGED rewrites the table under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE events (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE events SET UNLOGGED;"
    example_good = "CREATE UNLOGGED TABLE events_staging (id bigint PRIMARY KEY);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, cmd in commands(ctx, AlterTableType.AT_SetLogged, AlterTableType.AT_SetUnLogged):
            logged = cmd.subtype == AlterTableType.AT_SetLogged
            extra = (
                "; every row is also written to the WAL"
                if logged
                else "; afterwards a crash empties it and replicas do not get its rows"
            )
            yield Hit(
                f"SET {'LOGGED' if logged else 'UNLOGGED'} rewrites {display(table)} and its "
                f"indexes under ACCESS EXCLUSIVE{extra}"
            )
