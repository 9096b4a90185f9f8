"""SQLAlchemy Core data statements written in an Alembic revision, as Alembic sends them.

`op.bulk_insert(table, rows)` and `op.execute(table.insert() / .update() / .delete() …)`
(or `sa.insert(table)` …) on a table built in the file (`sa.table("t", sa.column("c", T))`,
`sa.Table("t", meta, sa.Column("c", T))`), with `.values(…)` and `.where(…)` of values
written in the file. Rendered as SQLAlchemy 2.0's PostgreSQL compiler renders them with
literal binds (what `alembic upgrade --sql` prints; checked against SQLAlchemy 2.0.46):
INSERT columns and UPDATE SET items in the table's column order, not the order given,
columns in WHERE qualified by their table. A value pgfence cannot render exactly as
SQLAlchemy's type does (a column without a type, a date, a value of another type), or one
known only when the revision runs (a call, an environment variable), is Unknown with the
reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from pgfence.sources.formats.base import SAFE_READ, SAFE_WHERE, RunTime, literal
from pgfence.sources.formats.pyast import Scope, SqlText, Unknown, bind, dotted, last_name

# SQLAlchemy's PostgreSQL reserved words: identifiers it double-quotes.
_RESERVED_WORDS = """
all analyse analyze and any array as asc asymmetric authorization between binary both case
cast check collate column constraint create cross current_catalog current_date current_role
current_schema current_time current_timestamp current_user default deferrable desc distinct
do else end except false fetch for foreign freeze from full grant group having ilike in
initially inner intersect into is isnull join leading left like limit localtime
localtimestamp natural new not notnull null of off offset old on only or order outer over
overlaps placing primary references returning right select session_user similar some
symmetric table then to trailing true union unique user using variadic verbose when where
window with
"""
_RESERVED = frozenset(_RESERVED_WORDS.split())
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote(name: str) -> str:
    """An identifier as SQLAlchemy writes it: bare unless it must be quoted."""
    if _PLAIN.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


# The Python values each SQLAlchemy type's literal renderer is known to write as
# `base.literal` does; anything else is Unknown rather than a guess.
_INTEGERS = frozenset({"Integer", "INTEGER", "BigInteger", "BIGINT", "SmallInteger", "SMALLINT"})
_FLOATS = frozenset({"Float", "FLOAT", "Double", "DOUBLE_PRECISION"})
_STRINGS = frozenset(
    {"String", "VARCHAR", "Unicode", "Text", "TEXT", "UnicodeText", "CHAR", "NVARCHAR"}
)
_BOOLEANS = frozenset({"Boolean", "BOOLEAN"})


def _renders(type_name: str, value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return type_name in _BOOLEANS
    if isinstance(value, int):
        return type_name in _INTEGERS | _FLOATS
    if isinstance(value, float):
        return type_name in _FLOATS
    if isinstance(value, str):
        return type_name in _STRINGS
    return False


@dataclass(frozen=True)
class Column:
    name: str
    type_name: str | None  # SQLAlchemy's class name; None: no type given (NullType)


@dataclass(frozen=True)
class Table:
    """A table object built in the revision: what SQLAlchemy knows of it."""

    name: str
    schema: str | None
    columns: tuple[Column, ...]

    @property
    def sql(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}" if self.schema else quote(self.name)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise Unknown(f"the column `{name}`, which the table object `{self.name}` does not have")

    def value_sql(self, name: str, value: object) -> str:
        """`value` bound to column `name`, as SQLAlchemy's literal binds render it."""
        column = self.column(name)
        if column.type_name is None:
            raise Unknown(
                f"a value for `{self.name}.{name}`, a column without a type (SQLAlchemy "
                "cannot render its literal)"
            )
        if isinstance(value, RunTime):
            return "NULL"
        if not _renders(column.type_name, value):
            raise Unknown(f"the value {value!r} of the {column.type_name} column `{name}`")
        return literal(value)


def is_table_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and last_name(node.func) in ("table", "Table")
        and bool(node.args)
    )


def read_table(node: ast.Call, scope: Scope) -> Table:
    """`sa.table("t", sa.column("c", T), …, schema=)` / `sa.Table("t", meta, sa.Column(…))`."""
    name = scope.string(node.args[0])
    columns = []
    for arg in node.args[1:]:
        if isinstance(arg, ast.Call) and last_name(arg.func) in ("column", "Column") and arg.args:
            type_node = arg.args[1] if len(arg.args) > 1 else None
            if type_node is None:
                type_node = next((k.value for k in arg.keywords if k.arg == "type_"), None)
            type_name = last_name(type_node) if type_node is not None else None
            if type_name == "ForeignKey":
                type_name = None  # the type comes from the referenced column
            columns.append(Column(scope.string(arg.args[0]), type_name or None))
    schema_node = next((k.value for k in node.keywords if k.arg == "schema"), None)
    schema = scope.value(schema_node) if schema_node is not None else None
    if schema is not None and not isinstance(schema, str):
        raise Unknown(f"the schema of the table `{name}`")
    return Table(name, schema, tuple(columns))


# ---- statements ------------------------------------------------------------------------

_VERBS = ("insert", "update", "delete", "select")
_CLAUSES = ("where", "values", "order_by", "limit", "offset")
_COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Eq: "=",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}


@dataclass
class _Statement:
    verb: str
    table: Table
    values: dict[str, Any]
    where: list[str]
    orders: list[str] = field(default_factory=list)
    limit: str = ""
    null_in_where: bool = False  # a condition of the WHERE's AND compares with NULL


@dataclass(frozen=True)
class CoreSql:
    """A Core statement as SQL; `unknown`: the values known only at run time written NULL
    in it, and `safe`: why that makes it write no row (None: it could)."""

    sql: str
    unknown: tuple[str, ...] = ()
    safe: str | None = None


@dataclass(frozen=True)
class _Condition:
    sql: str
    null: bool = False  # true of no row: it compares with a NULL placeholder


class CoreReader:
    """Core statements of one revision; `tables`: variables bound to table objects."""

    def __init__(self, scope: Scope, tables: dict[str, Table]) -> None:
        self.scope = scope
        self.tables = tables
        self.unknown: list[str] = []  # of the statement being read: values written NULL

    def table(self, node: ast.AST, what: str) -> Table:
        if isinstance(node, ast.Name) and node.id in self.tables:
            return self.tables[node.id]
        if isinstance(node, ast.Call) and is_table_call(node):
            return read_table(node, self.scope)
        raise Unknown(
            f"the table `{ast.unparse(node)}` of {what}, a table object not built in this revision"
        )

    def is_statement(self, node: ast.AST) -> bool:
        """Does `node` read as a Core insert/update/delete chain (whatever its arguments)?"""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _VERBS and not node.args:
                return True
            if node.func.attr not in _CLAUSES:
                break
            node = node.func.value
        return (
            isinstance(node, ast.Call)
            and last_name(node.func) in _VERBS
            and dotted(node.func) in {f"{p}{v}" for p in ("", "sa.", "sqlalchemy.") for v in _VERBS}
            and len(node.args) == 1
        )

    def statement_sql(self, node: ast.AST) -> str:
        """The statement's SQL, when every value is in the file."""
        rendered = self.statement(node)
        if rendered.unknown:
            raise Unknown(rendered.unknown[0])
        return rendered.sql

    def statement(self, node: ast.AST) -> CoreSql:
        """The statement's SQL, values known only at run time written NULL."""
        self.unknown = []
        statement = self._chain(node)
        sql = self._sql(statement)
        unknown = tuple(self.unknown)
        if not unknown:
            return CoreSql(sql)
        safe = None
        if statement.verb == "select":
            safe = SAFE_READ
        elif statement.verb in ("update", "delete") and statement.null_in_where:
            safe = SAFE_WHERE
        return CoreSql(sql, unknown, safe)

    def _sql(self, statement: _Statement) -> str:
        table = statement.table
        if statement.verb == "insert":
            if not statement.values:
                raise Unknown("an insert without values")
            columns = [c.name for c in table.columns if c.name in statement.values]
            return self.insert_sql(table, {c: statement.values[c] for c in columns})
        where = f" WHERE {' AND '.join(statement.where)}" if statement.where else ""
        if statement.verb == "select":
            if not table.columns:
                raise Unknown(f"a select of the table object `{table.name}`, which has no columns")
            listed = ", ".join(f"{table.sql}.{quote(c.name)}" for c in table.columns)
            orders = f" ORDER BY {', '.join(statement.orders)}" if statement.orders else ""
            return f"SELECT {listed} FROM {table.sql}{where}{orders}{statement.limit}"
        if statement.orders or statement.limit:
            raise Unknown(f"an {statement.verb} with ORDER BY, LIMIT or OFFSET")
        if statement.verb == "delete":
            if statement.values:
                raise Unknown("a delete with values")
            return f"DELETE FROM {table.sql}{where}"
        if not statement.values:
            raise Unknown("an update without values")
        sets = ", ".join(
            f"{quote(c.name)}={table.value_sql(c.name, statement.values[c.name])}"
            for c in table.columns
            if c.name in statement.values
        )
        return f"UPDATE {table.sql} SET {sets}{where}"

    def insert_sql(self, table: Table, row: dict[str, Any]) -> str:
        """One row: its columns in the table's order (SQLAlchemy's crud compiler)."""
        for name in row:
            table.column(name)  # a key the table lacks is SQLAlchemy's CompileError
        columns = [c.name for c in table.columns if c.name in row]
        return (
            f"INSERT INTO {table.sql} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(table.value_sql(c, row[c]) for c in columns)})"
        )

    def _chain(self, node: ast.AST) -> _Statement:
        if not isinstance(node, ast.Call):
            raise Unknown(f"`{ast.unparse(node)}`")
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _VERBS and not node.args:
            return _Statement(func.attr, self.table(func.value, f".{func.attr}()"), {}, [])
        if isinstance(func, ast.Attribute) and func.attr in _CLAUSES:
            statement = self._chain(func.value)
            if func.attr == "where":
                for arg in node.args:
                    condition = self.condition(arg, statement.table)
                    statement.where.append(condition.sql)
                    statement.null_in_where = statement.null_in_where or condition.null
            elif func.attr == "values":
                statement.values.update(self.values(node, statement.table))
            elif func.attr == "order_by":
                statement.orders.extend(self.order(arg, statement.table) for arg in node.args)
            else:
                count = self.scope.value(node.args[0]) if len(node.args) == 1 else None
                if not isinstance(count, int) or isinstance(count, bool):
                    raise Unknown(f"`{ast.unparse(node)}`")
                statement.limit += f" {func.attr.upper()} {count}"
            return statement
        if last_name(func) in _VERBS and len(node.args) == 1:
            verb = last_name(func)
            return _Statement(verb, self.table(node.args[0], f"sa.{verb}()"), {}, [])
        raise Unknown(f"`{ast.unparse(node)}`")

    def values(self, node: ast.Call, table: Table) -> dict[str, Any]:
        bound = bind(node, ["*"])
        given: dict[str, ast.AST] = {k: v for k, v in bound.items() if k != "*"}
        for arg in node.args:
            if not isinstance(arg, ast.Dict) or None in arg.keys:
                raise Unknown(f"the values `{ast.unparse(arg)}`")
            for key, item in zip(arg.keys, arg.values, strict=True):
                assert key is not None
                given[self.scope.string(key)] = item
        out = {}
        for name, value in given.items():
            table.column(name)
            out[name] = self.value(value, f"the value of `{name}`")
        return out

    def value(self, node: ast.AST, what: str) -> Any:
        """The value of `node`, or a RunTime (noted) for one known only when it runs."""
        try:
            return self.scope.value(node)
        except Unknown:
            self.unknown.append(f"{what} ({run_time_value(node)})")
            return RunTime(self.unknown[-1])

    def known(self, node: ast.AST, what: str) -> Any:
        """The value of `node`, written in the file (else Unknown, with why)."""
        try:
            return self.scope.value(node)
        except Unknown:
            raise Unknown(f"{what} is {run_time(node)}") from None

    def order(self, node: ast.AST, table: Table) -> str:
        """An order_by() argument: a column, or `column.desc()` / `.asc()`."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("asc", "desc")
            and not node.args
        ):
            return f"{self.column_ref(node.func.value, table)[0]} {node.func.attr.upper()}"
        return self.column_ref(node, table)[0]

    # ---- WHERE -------------------------------------------------------------------------

    def condition(self, node: ast.AST, table: Table) -> _Condition:
        """A where() argument as SQL, parenthesised where it groups an OR; `null`: it
        compares with a NULL placeholder, so no row matches it."""
        if isinstance(node, ast.Call) and last_name(node.func) in ("and_", "or_") and node.args:
            return self._joined(last_name(node.func) == "and_", node.args, table)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
            return self._joined(isinstance(node.op, ast.BitAnd), [node.left, node.right], table)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            op = _COMPARISONS.get(type(node.ops[0]))
            if op is not None:
                column, type_name = self.column_ref(node.left, table)
                value = self.value(node.comparators[0], f"the value compared with {column}")
                if value is None and op in ("=", "!="):
                    return _Condition(f"{column} IS {'NOT ' if op == '!=' else ''}NULL")
                return self._compared(column, op, value, type_name)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            method = node.func.attr
            if method in ("is_", "isnot", "is_not") and len(node.args) == 1:
                column, _ = self.column_ref(node.func.value, table)
                if self.scope.value(node.args[0]) is None:
                    return _Condition(f"{column} IS {'' if method == 'is_' else 'NOT '}NULL")
            if method == "in_" and len(node.args) == 1:
                column, type_name = self.column_ref(node.func.value, table)
                values = self.value(node.args[0], f"the values {column} is compared with")
                if isinstance(values, RunTime):
                    return _Condition(f"{column} IN (NULL)", null=True)
                if isinstance(values, list) and values:
                    rendered = ", ".join(self.bound(v, type_name, column) for v in values)
                    return _Condition(f"{column} IN ({rendered})")
            if method in ("like", "ilike", "notlike", "not_like") and len(node.args) == 1:
                column, type_name = self.column_ref(node.func.value, table)
                word = {"like": "LIKE", "ilike": "ILIKE"}.get(method, "NOT LIKE")
                value = self.value(node.args[0], f"the pattern {column} is compared with")
                return self._compared(column, word, value, type_name)
        value = self.scope.value(node) if isinstance(node, ast.Call) else None
        if isinstance(value, SqlText):
            return _Condition(value.sql)
        raise Unknown(f"the condition `{ast.unparse(node)}`, which pgfence does not render")

    def _joined(self, conjunction: bool, nodes: list[ast.expr], table: Table) -> _Condition:
        parts = [self.condition(a, table) for a in nodes]
        if len(parts) == 1:
            return parts[0]
        joiner = " AND " if conjunction else " OR "
        # No row matches an AND with a part no row matches, nor an OR of such parts.
        null = any(p.null for p in parts) if conjunction else all(p.null for p in parts)
        return _Condition("(" + joiner.join(p.sql for p in parts) + ")", null)

    def _compared(self, column: str, op: str, value: object, type_name: str | None) -> _Condition:
        if isinstance(value, RunTime):
            return _Condition(f"{column} {op} NULL", null=True)
        return _Condition(f"{column} {op} {self.bound(value, type_name, column)}")

    def column_ref(self, node: ast.AST, table: Table) -> tuple[str, str | None]:
        """`t.c.name` / `t.c["name"]` (qualified, as SQLAlchemy writes it in a WHERE) or
        `sa.column("name")` (bare); and the column's type (None: untyped)."""
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "c"
        ):
            owner = self.table(node.value.value, "a column")
            column = owner.column(node.attr)
            return f"{owner.sql}.{quote(column.name)}", column.type_name or "?"
        if isinstance(node, ast.Call) and last_name(node.func) == "column" and node.args:
            name = self.scope.string(node.args[0])
            type_name = last_name(node.args[1]) if len(node.args) > 1 else None
            return quote(name), type_name
        raise Unknown(f"the column `{ast.unparse(node)}`")

    @staticmethod
    def bound(value: object, type_name: str | None, column: str) -> str:
        """A value compared with a column: of the column's type, or (an untyped
        `sa.column`) of the type SQLAlchemy infers from the Python value."""
        if type_name is None:
            if isinstance(value, bool | int | float | str) or value is None:
                return literal(value)
        elif _renders(type_name, value):
            return literal(value)
        raise Unknown(f"the value {value!r} compared with {column}")


def run_time(node: ast.AST) -> str:
    """Why a value is known only when the revision runs, for the finding."""
    described = run_time_value(node)
    if described.startswith("the environment variable"):
        return f"{described}, read when the revision runs"
    return f"{described}, known only when the revision runs"


def run_time_value(node: ast.AST) -> str:
    """What a value known only when the revision runs is: an environment variable, a
    variable, or the expression as written."""
    for inner in ast.walk(node):
        name: ast.AST | None = None
        if isinstance(inner, ast.Call) and dotted(inner.func) in ("os.getenv", "os.environ.get"):
            name = inner.args[0] if inner.args else ast.Constant(None)
        elif isinstance(inner, ast.Subscript) and dotted(inner.value) == "os.environ":
            name = inner.slice
        if name is not None:
            named = str(name.value) if isinstance(name, ast.Constant) else ast.unparse(name)
            return f"the environment variable {named}"
    if isinstance(node, ast.Name):
        return f"the variable `{node.id}`"
    return f"`{ast.unparse(node)[:60]}`"
