"""foreign-key-without-index"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import OUTSIDE_TRANSACTION, index_covers, short
from pgfence.model import Severity, Statement


@register
class ForeignKeyWithoutIndex(Rule):
    """A foreign key whose referencing columns no index covers.

    ## What it does
    Flags a foreign key (in `CREATE TABLE`, `ADD CONSTRAINT` or `ADD COLUMN …
    REFERENCES`) when no index of the referencing table starts with its columns — in
    the schema pgfence knows (`--schema`, or what the migration created), including
    indexes created later in the same migration file. When the referencing table is not
    in the known schema, nothing is reported.

    ## Why is this bad?
    Every DELETE of a referenced row, and every UPDATE of its key, must find the
    referencing rows: without an index that is a scan of the whole referencing table,
    under row locks, for each row. `ON DELETE CASCADE` turns one delete into many scans.

    ## Example
    ```sql
    CREATE TABLE orders (
        id bigint PRIMARY KEY,
        account_id bigint REFERENCES accounts (id)
    );
    ```

    ## Use instead
    ```sql
    CREATE TABLE orders (
        id bigint PRIMARY KEY,
        account_id bigint REFERENCES accounts (id)
    );
    CREATE INDEX orders_account_id_idx ON orders (account_id);
    ```
    (`CONCURRENTLY` when the table is already in use).
    """

    id = "foreign-key-without-index"
    nodes = (ast.CreateStmt, ast.AlterTableStmt)
    severity = Severity.LOW
    summary = "no index covers a foreign key's columns: deletes on the referenced table scan"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = (
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));"
    )
    example_good = (
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n"
        "CREATE INDEX orders_account_id_idx ON orders (account_id);"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        own = _own_keys(ctx.statement.node)
        for table, columns, new_table in _foreign_keys(ctx):
            if any(set(key[: len(columns)]) == set(columns) for key in own):
                continue  # a PRIMARY KEY or UNIQUE of the same statement indexes them
            if index_covers(ctx, table, columns) or _indexed_later(ctx, table, columns):
                continue
            if not new_table and ctx.catalog.table(table) is None:
                continue  # not in the known schema: do not guess
            cols = ", ".join(quote_ident(c) for c in columns)
            name = quote_ident(f"{short(table)}_{'_'.join(columns)}_idx")
            t = display(table)
            create = (
                f"CREATE INDEX {name} ON {t} ({cols});"
                if new_table
                else f"{OUTSIDE_TRANSACTION}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                f"ON {t} ({cols});"
            )
            yield Hit(
                f"no index of {t} starts with ({', '.join(columns)}): every delete or key "
                "update on the referenced table scans " + t,
                recipe=(create,),
            )


def _foreign_keys(ctx: RuleContext) -> Iterator[tuple[str, tuple[str, ...], bool]]:
    """(referencing table, columns, created by this statement) of each new foreign key."""
    node = ctx.statement.node
    if isinstance(node, ast.CreateStmt) and node.relation is not None:
        table = ctx.catalog.rangevar(node.relation)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                for con in element.constraints or ():
                    if con.contype == ConstrType.CONSTR_FOREIGN:
                        yield table, (str(element.colname),), True
            elif (
                isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_FOREIGN
            ):
                yield table, tuple(a.sval for a in element.fk_attrs or ()), True
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = ctx.catalog.rangevar(node.relation)
        for cmd in node.cmds or ():
            d = cmd.def_
            if (
                cmd.subtype == AlterTableType.AT_AddConstraint
                and isinstance(d, ast.Constraint)
                and d.contype == ConstrType.CONSTR_FOREIGN
            ):
                yield table, tuple(a.sval for a in d.fk_attrs or ()), False
            elif (
                cmd.subtype == AlterTableType.AT_AddColumn
                and isinstance(d, ast.ColumnDef)
                and any(c.contype == ConstrType.CONSTR_FOREIGN for c in d.constraints or ())
            ):
                yield table, (str(d.colname),), False


def _own_keys(node: object) -> list[tuple[str, ...]]:
    """Columns of the PRIMARY KEY / UNIQUE constraints a statement itself creates."""
    kinds = (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
    keys: list[tuple[str, ...]] = []
    if isinstance(node, ast.CreateStmt):
        elements = list(node.tableElts or ())
    elif isinstance(node, ast.AlterTableStmt):
        elements = [cmd.def_ for cmd in node.cmds or ()]
    else:
        return keys
    for element in elements:
        if isinstance(element, ast.Constraint) and element.contype in kinds:
            keys.append(tuple(str(k.sval) for k in element.keys or ()))
        elif isinstance(element, ast.ColumnDef) and any(
            c.contype in kinds for c in element.constraints or ()
        ):
            keys.append((str(element.colname),))
    return keys


def _indexed_later(ctx: RuleContext, table: str, columns: tuple[str, ...]) -> bool:
    return any(_creates_index(ctx, s, table, columns) for s in ctx.following)


def _creates_index(
    ctx: RuleContext, statement: Statement, table: str, columns: tuple[str, ...]
) -> bool:
    node = statement.node
    if isinstance(node, ast.IndexStmt) and node.relation is not None:
        if ctx.catalog.rangevar(node.relation) != table:
            return False
        names = [p.name for p in node.indexParams or () if isinstance(p, ast.IndexElem)]
        return set(names[: len(columns)]) == set(columns)
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        if ctx.catalog.rangevar(node.relation) != table:
            return False
        for cmd in node.cmds or ():
            con = cmd.def_
            if isinstance(con, ast.Constraint) and con.contype in (
                ConstrType.CONSTR_PRIMARY,
                ConstrType.CONSTR_UNIQUE,
            ):
                keys = [k.sval for k in con.keys or ()]
                if set(keys[: len(columns)]) == set(columns):
                    return True
    return False
