"""add-column-not-null-no-default"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import (
    added_columns,
    batched_update,
    column_constraints,
    not_null_steps,
    type_sql,
)
from pgfence.model import Severity
from pgfence.pg.rows import Row

# A constant each common type can take: stored once in the catalog, no rewrite (PG 11+).
_ZERO = {
    "int2": "0",
    "int4": "0",
    "int8": "0",
    "smallint": "0",
    "integer": "0",
    "int": "0",
    "bigint": "0",
    "numeric": "0",
    "float4": "0",
    "float8": "0",
    "real": "0",
    "bool": "false",
    "boolean": "false",
    "text": "''",
    "varchar": "''",
    "bpchar": "''",
    "jsonb": "'{}'",
    "json": "'{}'",
    "timestamptz": "now()",
    "timestamp": "now()",
    "date": "CURRENT_DATE",
}


@register
class AddColumnNotNullNoDefault(Rule):
    """Adding a NOT NULL column without a default to a table that has rows.

    ## What it does
    Flags `ADD COLUMN … NOT NULL` without a `DEFAULT` on a table in use.

    ## Why is this bad?
    Every existing row would get NULL, which the constraint forbids: Postgres checks the
    table and the statement fails with `column … contains null values` as soon as the
    table has a single row. It only works on an empty table.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN plan text NOT NULL;
    ```

    ## Use instead
    Give it a constant default: since PostgreSQL 11 that is stored once in the catalog,
    so there is no rewrite.
    ```sql
    ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT '';
    ```
    When there is no sensible constant: add it nullable, backfill in batches, then make
    it NOT NULL online.
    """

    id = "add-column-not-null-no-default"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.CRITICAL
    summary = "ADD COLUMN … NOT NULL without DEFAULT fails on any table that has rows"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE accounts ADD COLUMN plan text NOT NULL;"
    example_good = "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT '';"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        if Row.ALTER_TABLE__ADD_COLUMN__NOT_NULL_NO_DEFAULT not in ctx.prediction.rows:
            return
        for table, col in added_columns(ctx):
            not_null = col.is_not_null or column_constraints(col, ConstrType.CONSTR_NOTNULL)
            if not not_null or column_constraints(col, ConstrType.CONSTR_DEFAULT):
                continue
            yield Hit(
                f"{display(table)} has rows, so adding {col.colname} NOT NULL without a default "
                "fails: every existing row would be NULL",
                recipe=_recipe(ctx, table, col.colname, type_sql(col)),
            )


def _recipe(ctx: RuleContext, table: str, column: str, type_: str) -> tuple[str, ...]:
    t, c = display(table), quote_ident(column)
    base = type_.split("(")[0].split(".")[-1].lower()
    zero = _ZERO.get(base)
    if zero is not None:
        return (
            "-- a constant (or stable) default is stored once: no rewrite, no scan",
            f"ALTER TABLE {t} ADD COLUMN {c} {type_} NOT NULL DEFAULT {zero};",
        )
    return (
        f"ALTER TABLE {t} ADD COLUMN {c} {type_};",
        batched_update(table, f"{c} = <value>", f"{c} IS NULL"),
        *not_null_steps(ctx, table, column),
    )
