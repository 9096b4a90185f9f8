"""prefer-bigint"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import defined_columns, type_name
from pgfence.model import Severity

_SMALL_INTS = frozenset(
    {"int4", "int2", "integer", "int", "smallint", "serial", "serial4", "smallserial", "serial2"}
)
_KEY_KINDS = (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_FOREIGN)


def _is_key(col: ast.ColumnDef | None) -> bool:
    if col is None:
        return False
    if type_name(col.typeName).startswith(("serial", "smallserial")):
        return True
    return any(c.contype in _KEY_KINDS for c in col.constraints or ())


def _key_columns(ctx: RuleContext) -> set[tuple[str, str]]:
    """Columns named by table-level PRIMARY KEY / FOREIGN KEY constraints of the statement,
    and columns the schema already knows to be keys (for ALTER COLUMN … TYPE)."""
    node = ctx.statement.node
    out: set[tuple[str, str]] = set()
    if isinstance(node, ast.CreateStmt) and node.relation is not None:
        table = ctx.catalog.rangevar(node.relation)
        for element in node.tableElts or ():
            if isinstance(element, ast.Constraint) and element.contype in _KEY_KINDS:
                keys = element.keys or element.fk_attrs or ()
                out.update((table, k.sval) for k in keys)
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = ctx.catalog.rangevar(node.relation)
        info = ctx.catalog.table(table)
        if info is not None:
            for con in info.constraints.values():
                if con.kind in ("p", "f"):
                    out.update((table, c) for c in con.columns)
    return out


@register
class PreferBigint(Rule):
    """Integer keys that will run out.

    ## What it does
    Flags `integer` / `smallint` (and `serial` / `smallserial`) columns that are keys:
    primary keys, identity or serial columns, and columns with a foreign key — in new
    tables too.

    ## Why is this bad?
    An `integer` key runs out at 2,147,483,647. Changing it to `bigint` later rewrites
    the table and every index on it, and the foreign-key columns of every referencing
    table, under ACCESS EXCLUSIVE: the most expensive migration there is.

    ## Example
    ```sql
    CREATE TABLE orders (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```
    """

    id = "prefer-bigint"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "integer keys run out at 2^31; changing to bigint later rewrites the table"
    example_bad = "CREATE TABLE orders (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"
    example_good = (
        "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "quantity integer);"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        keys = _key_columns(ctx)
        for table, column, type_, col in defined_columns(ctx):
            name = type_name(type_)
            if name not in _SMALL_INTS or ((table, column) not in keys and not _is_key(col)):
                continue
            big = "bigserial" if "serial" in name else "bigint"
            limit = "32,767" if name in ("int2", "smallint", "smallserial", "serial2") else "2^31"
            yield Hit(
                f"{display(table)}.{column} is {name}, a key: it runs out at {limit}, and "
                f"widening it later rewrites the table; use {big}",
            )
