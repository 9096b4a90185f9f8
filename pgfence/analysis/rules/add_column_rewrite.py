"""add-column-rewrite"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rules import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.model import Severity

_REWRITING_ROWS = {
    "alter-table.add-column.volatile-default": "a volatile default",
    "alter-table.add-column.serial": "a serial type",
    "alter-table.add-column.identity": "an identity",
    "alter-table.add-column.stored-generated": "a stored generated expression",
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
    severity = Severity.HIGH
    summary = (
        "ADD COLUMN with a volatile default, serial, identity or stored generated column "
        "rewrites the table"
    )
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();"
    example_good = "ALTER TABLE accounts ADD COLUMN token uuid;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.AlterTableStmt):
            return
        rows = [r for r in ctx.prediction.rows if r in _REWRITING_ROWS]
        if not rows:
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        for cmd in node.cmds or ():
            if isinstance(cmd.def_, ast.ColumnDef) and cmd.def_.colname:
                column = cmd.def_.colname
                yield Hit(
                    f"adding column {column} with {_REWRITING_ROWS[rows[0]]} rewrites "
                    f"{display(table)} and its indexes under ACCESS EXCLUSIVE: reads and "
                    "writes wait for the whole rewrite",
                    recipe=_recipe(table, cmd.def_),
                )
                return


def _recipe(table: str, col: ast.ColumnDef) -> tuple[str, ...]:
    from pglast.stream import RawStream

    t, c = display(table), quote_ident(col.colname)
    type_sql = RawStream()(col.typeName) if col.typeName is not None else "text"
    type_sql = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(
        type_sql.lower(), type_sql
    )
    default = next(
        (con.raw_expr for con in col.constraints or () if con.contype.name == "CONSTR_DEFAULT"),
        None,
    )
    default_sql = RawStream()(default) if default is not None else "<expression>"
    return (
        f"ALTER TABLE {t} ADD COLUMN {c} {type_sql};",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default_sql};",
        f"-- backfill in batches, each its own transaction, until no row is left:\n"
        f"UPDATE {t} SET {c} = {default_sql} WHERE ctid IN "
        f"(SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT 10000);",
    )
