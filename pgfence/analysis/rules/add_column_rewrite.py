"""add-column-rewrite"""

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
    short,
    sql,
    type_sql,
)
from pgfence.model import Severity
from pgfence.pg.features import VIRTUAL_GENERATED_COLUMNS
from pgfence.pg.rows import Row

_REWRITING_ROWS = {
    Row.ALTER_TABLE__ADD_COLUMN__VOLATILE_DEFAULT: "a volatile default",
    Row.ALTER_TABLE__ADD_COLUMN__SERIAL: "a serial type",
    Row.ALTER_TABLE__ADD_COLUMN__IDENTITY: "an identity",
    Row.ALTER_TABLE__ADD_COLUMN__STORED_GENERATED: "a stored generated expression",
}


@register
class AddColumnRewrite(Rule):
    """Adding a column that every existing row must be given a computed value for.

    ## What it does
    Flags `ADD COLUMN` with a volatile default (`random()`, `gen_random_uuid()`,
    `clock_timestamp()`, a user function), a `serial` type, `GENERATED … AS IDENTITY` or
    `GENERATED ALWAYS AS (…) STORED`.

    ## Why is this bad?
    Postgres must compute a value for every existing row, so it rewrites the whole table
    and rebuilds every index while holding ACCESS EXCLUSIVE: no read or write of the table
    can proceed until the rewrite finishes, which on a large table means minutes.
    A constant or stable default (`0`, `'x'`, `now()`) is stored once in the catalog
    (PostgreSQL 11+) and needs no rewrite.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
    ```

    ## Use instead
    Add the column without a default, set the default for new rows, then backfill
    existing rows in batches, each in its own short transaction.
    """

    id = "add-column-rewrite"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = (
        "ADD COLUMN with a volatile default, serial, identity or stored generated column "
        "rewrites the table"
    )
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();"
    example_good = "ALTER TABLE accounts ADD COLUMN token uuid;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        rows = [r for r in ctx.prediction.rows if r in _REWRITING_ROWS]
        refused = Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED in ctx.prediction.unavailable
        if not rows or refused:
            return  # refused on this version: requires-newer-postgres says so
        for table, col in added_columns(ctx):
            yield Hit(
                f"adding column {col.colname} with {_REWRITING_ROWS[rows[0]]} rewrites "
                f"{display(table)} and its indexes under ACCESS EXCLUSIVE: reads and "
                "writes wait for the whole rewrite",
                recipe=_recipe(ctx, table, col),
            )
            return


def _recipe(ctx: RuleContext, table: str, col: ast.ColumnDef) -> tuple[str, ...]:
    t, c = display(table), quote_ident(col.colname)
    type_ = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(
        type_sql(col).lower(), type_sql(col)
    )
    generated = column_constraints(col, ConstrType.CONSTR_GENERATED)
    if generated:
        expr = sql(generated[0].raw_expr)
        if VIRTUAL_GENERATED_COLUMNS.on(ctx.version):
            # Computed when read: nothing to rewrite.
            return (
                f"ALTER TABLE {t} ADD COLUMN {c} {type_} GENERATED ALWAYS AS ({expr}) VIRTUAL;",
            )
        return (
            f"ALTER TABLE {t} ADD COLUMN {c} {type_};",
            "-- keep it in step for new rows (a trigger), then backfill old ones:",
            batched_update(table, f"{c} = {expr}", f"{c} IS NULL"),
        )
    identity = column_constraints(col, ConstrType.CONSTR_IDENTITY)
    if identity or type_sql(col).lower() in _SERIALS:
        sequence = f"{short(table)}_{col.colname}_seq"
        return (
            f"CREATE SEQUENCE IF NOT EXISTS {quote_ident(sequence)} AS {type_};",
            f"ALTER TABLE {t} ADD COLUMN {c} {type_};",
            f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT nextval('{sequence}');",
            f"ALTER SEQUENCE {quote_ident(sequence)} OWNED BY {t}.{c};",
            batched_update(table, f"{c} = nextval('{sequence}')", f"{c} IS NULL"),
            *not_null_steps(ctx, table, col.colname),
        )
    defaults = column_constraints(col, ConstrType.CONSTR_DEFAULT)
    default = sql(defaults[0].raw_expr) if defaults else "<expression>"
    return (
        f"ALTER TABLE {t} ADD COLUMN {c} {type_};",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default};",
        batched_update(table, f"{c} = {default}", f"{c} IS NULL"),
    )


_SERIALS = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
