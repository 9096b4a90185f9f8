"""Helpers several rules share: walking ALTER TABLE sub-commands, writing recipe steps."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.analysis.expressions import sql_text
from pgfence.analysis.rule import RuleContext, display, quote_ident
from pgfence.pg.features import NOT_NULL_NOT_VALID

OUTSIDE_TRANSACTION = "-- outside any transaction block (a migration of its own):"
SEPARATE_TRANSACTION = "-- in a separate transaction, later:"
LOCK_TIMEOUT = "SET lock_timeout = '2s';"


def sql(node: object) -> str:
    """A parse tree back to SQL text."""
    return sql_text(node)


def alter_table(ctx: RuleContext) -> tuple[str, list[ast.AlterTableCmd]] | None:
    """(table, sub-commands) of an ALTER TABLE on a table in use, else None."""
    return ctx.altered


def commands(
    ctx: RuleContext, *subtypes: AlterTableType
) -> Iterator[tuple[str, ast.AlterTableCmd]]:
    """(table, sub-command) for each sub-command of the given kinds, on a table in use."""
    found = alter_table(ctx)
    if found is None:
        return
    table, cmds = found
    for cmd in cmds:
        if cmd.subtype in subtypes:
            yield table, cmd


def added_columns(ctx: RuleContext) -> Iterator[tuple[str, ast.ColumnDef]]:
    for table, cmd in commands(ctx, AlterTableType.AT_AddColumn):
        if isinstance(cmd.def_, ast.ColumnDef) and cmd.def_.colname:
            yield table, cmd.def_


def added_constraints(ctx: RuleContext, *kinds: ConstrType) -> Iterator[tuple[str, ast.Constraint]]:
    for table, cmd in commands(ctx, AlterTableType.AT_AddConstraint):
        if isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype in kinds:
            yield table, cmd.def_


def column_constraints(col: ast.ColumnDef, *kinds: ConstrType) -> list[ast.Constraint]:
    return [c for c in col.constraints or () if c.contype in kinds]


def type_sql(col: ast.ColumnDef) -> str:
    return sql(col.typeName) if col.typeName is not None else "text"


def short(relation: str) -> str:
    """public.accounts -> accounts (for names derived from it)."""
    return relation.split(".", 1)[-1]


def column_type(ctx: RuleContext, table: str, column: str) -> str | None:
    found = ctx.catalog.column_type(table, column)
    return str(found) if found is not None else None


def batched_update(table: str, assignment: str, pending: str) -> str:
    """One batch of a backfill; the comment says how to run it."""
    t = display(table)
    return (
        "-- backfill in batches, each in its own transaction, until it updates 0 rows:\n"
        f"UPDATE {t} SET {assignment} WHERE ctid = ANY (ARRAY("
        f"SELECT ctid FROM {t} WHERE {pending} LIMIT 10000));"
    )


def not_null_steps(ctx: RuleContext, table: str, column: str) -> tuple[str, ...]:
    """Make a filled column NOT NULL without a long ACCESS EXCLUSIVE scan, per version."""
    t, c = display(table), quote_ident(column)
    name = quote_ident(f"{short(table)}_{column}_not_null")
    if NOT_NULL_NOT_VALID.on(ctx.version):
        return (
            f"ALTER TABLE {t} ADD CONSTRAINT {name} NOT NULL {c} NOT VALID;",
            SEPARATE_TRANSACTION,
            f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};",
        )
    return (
        f"ALTER TABLE {t} ADD CONSTRAINT {name} CHECK ({c} IS NOT NULL) NOT VALID;",
        SEPARATE_TRANSACTION,
        f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;  -- no scan: the check proves it",
        f"ALTER TABLE {t} DROP CONSTRAINT {name};",
    )


def index_covers(ctx: RuleContext, table: str, columns: tuple[str, ...]) -> bool:
    """Is there an index of `table` whose leading columns are `columns` (in any order)?"""
    wanted = set(columns)
    for name in ctx.catalog.indexes_of(table):
        index = ctx.catalog.indexes.get(name)
        if index is not None and set(index.columns[: len(columns)]) == wanted:
            return True
    return False


def partitioned_index_recipe(ctx: RuleContext, node: ast.IndexStmt, table: str) -> tuple[str, ...]:
    """Build an index of a partitioned table without blocking writes, partition by partition."""
    columns = [p.name for p in node.indexParams or () if isinstance(p, ast.IndexElem) and p.name]
    cols = ", ".join(quote_ident(c) for c in columns) or "<columns>"
    suffix = "_".join(columns) or "expr"
    parent = node.idxname or f"{short(table)}_{suffix}_idx"
    unique = "UNIQUE " if node.unique else ""
    steps = [
        "-- on the parent only: no build, the index stays invalid until every partition has one",
        f"CREATE {unique}INDEX IF NOT EXISTS {quote_ident(parent)} "
        f"ON ONLY {display(table)} ({cols});",
    ]
    info = ctx.catalog.table(table)
    # ATTACH PARTITION takes the indexes of direct partitions.
    for partition in (info.partitions if info else []) or [f"{table}_<partition>"]:
        child = quote_ident(f"{short(partition)}_{suffix}_idx")
        steps.append(
            f"{OUTSIDE_TRANSACTION}\nCREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {child} "
            f"ON {display(partition)} ({cols});"
        )
        steps.append(f"ALTER INDEX {quote_ident(parent)} ATTACH PARTITION {child};")
    return tuple(steps)


def bound_condition(key: tuple[str, ...], bound: object) -> str | None:
    """The rows a partition bound admits, as a CHECK expression (one key column only).

    Postgres skips the validation scan of ATTACH PARTITION when a valid CHECK constraint
    proves this, and skips the scan of the DEFAULT partition when one refutes it.
    """
    if len(key) != 1 or not isinstance(bound, ast.PartitionBoundSpec):
        return None
    k = quote_ident(key[0])
    if bound.strategy == "l" and bound.listdatums:
        values = ", ".join(sql(d) for d in bound.listdatums if not _is_null(d))
        return f"{k} IS NOT NULL AND {k} IN ({values})" if values else None
    if bound.strategy == "r":
        parts = [f"{k} IS NOT NULL"]
        lower = bound.lowerdatums[0] if bound.lowerdatums else None
        upper = bound.upperdatums[0] if bound.upperdatums else None
        if lower is not None and not _is_infinite(lower):
            parts.append(f"{k} >= {sql(lower)}")
        if upper is not None and not _is_infinite(upper):
            parts.append(f"{k} < {sql(upper)}")
        return " AND ".join(parts)
    return None


def _is_infinite(datum: object) -> bool:
    return isinstance(datum, ast.ColumnRef) and sql(datum).lower() in ("minvalue", "maxvalue")


def _is_null(datum: object) -> bool:
    return isinstance(datum, ast.A_Const) and bool(datum.isnull)


def defined_columns(
    ctx: RuleContext,
) -> Iterator[tuple[str, str, ast.TypeName, ast.ColumnDef | None]]:
    """(table, column, type, definition) for each column a statement creates or retypes.

    Type hygiene applies to new tables too: the cheapest time to pick a type is now.
    """
    node = ctx.statement.node
    if isinstance(node, ast.CreateStmt) and node.relation is not None and not node.partbound:
        table = ctx.catalog.rangevar(node.relation)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                yield table, str(element.colname), element.typeName, element
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = ctx.catalog.rangevar(node.relation)
        for cmd in node.cmds or ():
            col = cmd.def_
            if not isinstance(col, ast.ColumnDef) or col.typeName is None:
                continue
            if cmd.subtype == AlterTableType.AT_AddColumn:
                yield table, str(col.colname), col.typeName, col
            elif cmd.subtype == AlterTableType.AT_AlterColumnType:
                yield table, str(cmd.name), col.typeName, None


def type_name(type_: ast.TypeName) -> str:
    """The last part of a type's name, lower case: int4, varchar, bpchar, serial …"""
    return str(type_.names[-1].sval).lower() if type_.names else ""
