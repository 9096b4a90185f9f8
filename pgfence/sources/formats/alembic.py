"""Alembic revisions, read with Python's `ast` (never imported): `op.*` calls -> SQL.

Each `op.*` call in `upgrade()` becomes the SQL Alembic emits on PostgreSQL (checked
against Alembic 1.x offline `--sql` output). Order follows the revision graph
(`down_revision`, merges, `depends_on`), not file names. Alembic's stock env.py runs ALL
pending revisions in one transaction (`transaction_per_migration=True` in env.py: one
per revision); `with op.get_context().autocommit_block():` commits it, runs its body
outside any transaction, and opens a new one.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pgfence.model import AUTOCOMMIT, Location, Migration, Transaction
from pgfence.sources.files import natural_key
from pgfence.sources.formats import alembic_entities, pyast
from pgfence.sources.formats.alembic_core import (
    CoreReader,
    Table,
    is_table_call,
    quote,
    read_table,
)
from pgfence.sources.formats.base import (
    Extraction,
    LoadContext,
    Target,
    files_containing,
    generated,
    head,
    ignores_at,
    literal,
    no_files,
    raw_statements,
    with_placeholders,
)
from pgfence.sources.formats.pyast import SqlText, Unknown, bind, dotted, last_name

NAME = "alembic"
_MARKERS = ("from alembic import", "import alembic", "down_revision")


def detect(target: Target) -> bool:
    return any(_is_revision(head(f)) for f in target.with_suffix(".py"))


def _is_revision(start: str) -> bool:
    """The start of a file reads like an Alembic revision."""
    return any(m in start for m in _MARKERS) and "revision" in start and "upgrade" in start


def qualified(table: str, schema: str | None) -> str:
    return f"{quote(schema)}.{quote(table)}" if schema else quote(table)


# ---- types and columns ----------------------------------------------------------------

_SIMPLE_TYPES = {
    "String": "VARCHAR",
    "Unicode": "VARCHAR",
    "VARCHAR": "VARCHAR",
    "Text": "TEXT",
    "UnicodeText": "TEXT",
    "Integer": "INTEGER",
    "INTEGER": "INTEGER",
    "BigInteger": "BIGINT",
    "SmallInteger": "SMALLINT",
    "Boolean": "BOOLEAN",
    "Date": "DATE",
    "Float": "FLOAT",
    "Double": "DOUBLE PRECISION",
    "DOUBLE_PRECISION": "DOUBLE PRECISION",
    "Numeric": "NUMERIC",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "UUID": "UUID",
    "Uuid": "UUID",
    "LargeBinary": "BYTEA",
    "Interval": "INTERVAL",
}


def sql_type(node: ast.AST, scope: pyast.Scope) -> str:
    name = last_name(node)
    args = node.args if isinstance(node, ast.Call) else []
    keywords = {k.arg: k.value for k in node.keywords} if isinstance(node, ast.Call) else {}
    if name in ("DateTime", "TIMESTAMP", "Time", "TIME"):
        tz = "timezone" in keywords and scope.value(keywords["timezone"]) is True
        base = "TIMESTAMP" if name in ("DateTime", "TIMESTAMP") else "TIME"
        return f"{base} WITH{'' if tz else 'OUT'} TIME ZONE"
    if name in ("Enum", "ENUM"):
        enum_name = scope.value(keywords["name"]) if "name" in keywords else None
        if not isinstance(enum_name, str):
            raise Unknown("an Enum without a literal name=")
        return quote(enum_name)
    if name == "ARRAY" and args:
        return sql_type(args[0], scope) + "[]"
    base = _SIMPLE_TYPES.get(name, name.upper())
    sizes = [scope.value(a) for a in args if isinstance(a, ast.Constant)]
    if "length" in keywords:
        sizes = [scope.value(keywords["length"])]
    if "precision" in keywords:
        sizes = [scope.value(keywords["precision"])] + (
            [scope.value(keywords["scale"])] if "scale" in keywords else []
        )
    return f"{base}({', '.join(str(s) for s in sizes)})" if sizes else base


def default_sql(node: ast.AST, scope: pyast.Scope) -> str | None:
    """A `server_default` as SQL; None for None, which means no default."""
    name = dotted(node)
    if isinstance(node, ast.Call) and (".func." in f".{name}" or name.startswith("func.")):
        if node.args:
            raise Unknown(f"`{ast.unparse(node)}`")
        return f"{name.rsplit('.', 1)[-1]}()"
    if isinstance(node, ast.Call) and last_name(node) in ("false", "true") and not node.args:
        return last_name(node)
    value = scope.value(node)
    if value is None:
        return None
    return value.sql if isinstance(value, SqlText) else literal(value)


@dataclass
class ColumnDef:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    primary_key: bool = False
    index: bool = False
    unique: bool = False
    foreign_keys: list[str] = field(default_factory=list)  # "REFERENCES t (c) ON DELETE …"
    autoincrement: bool = True
    identity: str | None = None  # "ALWAYS" / "BY DEFAULT" for sa.Identity()
    comment: str | None = None
    enum: str | None = None  # CREATE TYPE … AS ENUM of an sa.Enum that creates its type

    def ddl(self, serial: bool = False) -> str:
        sql_type = self.type
        if serial:
            sql_type = {"INTEGER": "SERIAL", "BIGINT": "BIGSERIAL", "SMALLINT": "SMALLSERIAL"}[
                self.type
            ]
        text = f"{quote(self.name)} {sql_type}"
        if self.default is not None:
            text += f" DEFAULT {self.default}"
        if self.identity is not None:
            return text + f" GENERATED {self.identity} AS IDENTITY"  # NOT NULL goes with it
        if not self.nullable:
            text += " NOT NULL"
        return text


def foreign_key(node: ast.Call, scope: pyast.Scope) -> str:
    bound = bind(node, ["column"])
    target = scope.string(bound["column"])
    table, _, column = target.rpartition(".")
    schema, _, table = table.rpartition(".")
    text = f"REFERENCES {qualified(table, schema or None)} ({quote(column)})"
    return text + fk_actions(bound, scope)


def fk_actions(bound: dict[str, ast.AST], scope: pyast.Scope) -> str:
    text = ""
    for option, words in (("ondelete", "ON DELETE"), ("onupdate", "ON UPDATE")):
        if option in bound and scope.value(bound[option]) is not None:
            text += f" {words} {scope.value(bound[option])}"
    if "deferrable" in bound and scope.value(bound["deferrable"]):
        text += " DEFERRABLE"
    if "initially" in bound and scope.value(bound["initially"]):
        text += f" INITIALLY {scope.value(bound['initially'])}"
    return text


def column(node: ast.AST, scope: pyast.Scope) -> ColumnDef:
    if not isinstance(node, ast.Call) or last_name(node) != "Column":
        raise Unknown(f"`{ast.unparse(node)}` is not an sa.Column(...)")
    name = scope.string(node.args[0]) if node.args else None
    if name is None:
        raise Unknown("a Column without a literal name")
    type_text: str | None = None
    fks: list[str] = []
    identity: str | None = None
    enum: str | None = None
    for arg in node.args[1:]:
        if isinstance(arg, ast.Call) and last_name(arg) == "ForeignKey":
            fks.append(foreign_key(arg, scope))
        elif isinstance(arg, ast.Call) and last_name(arg) == "Identity":
            options = {k.arg: scope.value(k.value) for k in arg.keywords if k.arg}
            if set(options) - {"always"}:
                raise Unknown("an sa.Identity() with sequence options")
            identity = "ALWAYS" if options.get("always") else "BY DEFAULT"
        elif isinstance(arg, ast.Call) and last_name(arg) in ("Sequence", "Computed"):
            continue
        elif type_text is None:
            type_text = sql_type(arg, scope)
            enum = enum_type(arg, scope)
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if "type_" in keywords:
        type_text = sql_type(keywords["type_"], scope)
    if type_text is None:
        raise Unknown(f"column {name} has no type pgfence can read")
    primary_key = bool(scope.value(keywords["primary_key"])) if "primary_key" in keywords else False
    nullable = scope.value(keywords["nullable"]) if "nullable" in keywords else not primary_key
    default = (
        default_sql(keywords["server_default"], scope) if "server_default" in keywords else None
    )
    return ColumnDef(
        name=name,
        type=type_text,
        nullable=bool(nullable),
        default=default,
        primary_key=primary_key,
        index=bool(scope.value(keywords["index"])) if "index" in keywords else False,
        unique=bool(scope.value(keywords["unique"])) if "unique" in keywords else False,
        foreign_keys=fks,
        autoincrement=scope.value(keywords["autoincrement"]) is not False
        if "autoincrement" in keywords
        else True,
        identity=identity,
        comment=str(scope.value(keywords["comment"])) if "comment" in keywords else None,
        enum=enum,
    )


def enum_type(node: ast.AST, scope: pyast.Scope) -> str | None:
    """The CREATE TYPE an `sa.Enum(..., name=)` column makes with its table (unless
    `create_type=False`)."""
    if not isinstance(node, ast.Call) or last_name(node) not in ("Enum", "ENUM"):
        return None
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if "create_type" in keywords and scope.value(keywords["create_type"]) is False:
        return None
    labels = ", ".join(literal(scope.value(a)) for a in node.args)
    return f"CREATE TYPE {quote(str(scope.value(keywords['name'])))} AS ENUM ({labels})"


def comment_on(table: str, column_name: str | None, comment: str | None) -> str:
    target = f"TABLE {table}" if column_name is None else f"COLUMN {table}.{quote(column_name)}"
    return f"COMMENT ON {target} IS {'NULL' if comment is None else literal(comment)}"


def condition_sql(node: ast.AST, scope: pyast.Scope) -> str:
    """A check condition: a string, `sa.text(...)`, or `sa.column('x') > 0`."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        signs = {
            ast.Gt: ">",
            ast.GtE: ">=",
            ast.Lt: "<",
            ast.LtE: "<=",
            ast.Eq: "=",
            ast.NotEq: "!=",
        }
        left, right = node.left, node.comparators[0]
        if (
            isinstance(left, ast.Call)
            and last_name(left) == "column"
            and left.args
            and type(node.ops[0]) in signs
        ):
            sign = signs[type(node.ops[0])]
            return f"{quote(scope.string(left.args[0]))} {sign} {literal(scope.value(right))}"
    return scope.string(node)


def names(node: ast.AST, scope: pyast.Scope) -> list[str]:
    """A column list: names are quoted, `sa.text(...)` expressions are kept as written."""
    value = scope.value(node)
    items = value if isinstance(value, list) else [value]
    return [item.sql if isinstance(item, SqlText) else quote(str(item)) for item in items]


# ---- op.* -> SQL ----------------------------------------------------------------------

# Parameters of each op, table first where the op has one. `batch_op.*` calls leave the
# table out (the batch names it): BATCH_TABLE_PARAM says where it goes.
SIGNATURES = {
    "create_entity": ["target"],
    "replace_entity": ["target"],
    "drop_entity": ["target", "cascade"],
    "add_column": ["table_name", "column"],
    "drop_column": ["table_name", "column_name"],
    "alter_column": ["table_name", "column_name"],
    "create_index": ["index_name", "table_name", "columns"],
    "drop_index": ["index_name", "table_name"],
    "create_foreign_key": [
        "constraint_name",
        "source_table",
        "referent_table",
        "local_cols",
        "remote_cols",
    ],
    "create_unique_constraint": ["constraint_name", "table_name", "columns"],
    "create_check_constraint": ["constraint_name", "table_name", "condition"],
    "create_primary_key": ["constraint_name", "table_name", "columns"],
    "drop_constraint": ["constraint_name", "table_name", "type_"],
    "rename_table": ["old_table_name", "new_table_name"],
    "drop_table": ["table_name"],
    "create_table": ["table_name", "*"],
    "bulk_insert": ["table", "rows"],
    "create_table_comment": ["table_name", "comment"],
    "drop_table_comment": ["table_name"],
    "create_exclude_constraint": ["constraint_name", "table_name", "*"],
}
_TABLE_PARAM = {"create_foreign_key": "source_table"}


class Translator:
    """op.<name>(…) -> SQL strings, for one revision file."""

    def __init__(self, scope: pyast.Scope, tables: dict[str, Table]) -> None:
        self.scope = scope
        self.core = CoreReader(scope, tables)  # variables bound to sa.table("name", …)
        self.handlers: dict[str, Callable[[dict[str, ast.AST]], list[str]]] = {
            "add_column": self.add_column,
            "drop_column": self.drop_column,
            "alter_column": self.alter_column,
            "create_index": self.create_index,
            "drop_index": self.drop_index,
            "create_foreign_key": self.create_foreign_key,
            "create_unique_constraint": self.create_unique_constraint,
            "create_check_constraint": self.create_check_constraint,
            "create_primary_key": self.create_primary_key,
            "drop_constraint": self.drop_constraint,
            "rename_table": self.rename_table,
            "drop_table": self.drop_table,
            "create_table": self.create_table,
            "bulk_insert": self.bulk_insert,
            "create_table_comment": self.create_table_comment,
            "drop_table_comment": self.drop_table_comment,
            "create_exclude_constraint": self.create_exclude_constraint,
            "create_entity": self.entity,
            "replace_entity": self.entity,
            "drop_entity": self.entity,
        }
        self.entities: dict[str, ast.Call] = {}  # variables bound to alembic_utils entities
        self.method = ""

    def translate(
        self, name: str, call: ast.Call, batch: tuple[str, str | None] | None
    ) -> list[str]:
        if name not in self.handlers:
            raise Unknown(f"op.{name} is not translated by pgfence")
        self.method = name
        params = SIGNATURES[name]
        if batch is not None:
            table_param = _TABLE_PARAM.get(name, "table_name")
            params = [p for p in params if p != table_param]
            bound = bind(call, params)
            bound[table_param] = ast.Constant(batch[0])
            if batch[1] is not None:
                bound.setdefault("schema", ast.Constant(batch[1]))
        else:
            bound = bind(call, params)
        return self.handlers[name](bound)

    def v(self, bound: dict[str, ast.AST], key: str, default: object = None) -> object:
        return self.scope.value(bound[key]) if key in bound else default

    def table(self, bound: dict[str, ast.AST], key: str = "table_name") -> str:
        schema = self.v(bound, "schema")
        return qualified(self.scope.string(bound[key]), schema if isinstance(schema, str) else None)

    def add_column(self, bound: dict[str, ast.AST]) -> list[str]:
        table = self.table(bound)
        col = column(bound["column"], self.scope)
        exists = " IF NOT EXISTS" if self.v(bound, "if_not_exists") else ""
        out = [f"ALTER TABLE {table} ADD COLUMN{exists} {col.ddl()}"]
        out += [
            f"ALTER TABLE {table} ADD FOREIGN KEY({quote(col.name)}) {fk}"
            for fk in col.foreign_keys
        ]
        if col.unique:
            out.append(f"ALTER TABLE {table} ADD UNIQUE ({quote(col.name)})")
        if col.index:
            bare = self.scope.string(bound["table_name"])
            out.append(
                f"CREATE INDEX {quote(f'ix_{bare}_{col.name}')} ON {table} ({quote(col.name)})"
            )
        if col.comment is not None:
            out.append(comment_on(table, col.name, col.comment))
        return out

    def drop_column(self, bound: dict[str, ast.AST]) -> list[str]:
        exists = " IF EXISTS" if self.v(bound, "if_exists") else ""
        column_name = quote(self.scope.string(bound["column_name"]))
        return [f"ALTER TABLE {self.table(bound)} DROP COLUMN{exists} {column_name}"]

    def alter_column(self, bound: dict[str, ast.AST]) -> list[str]:
        table = self.table(bound)
        name = quote(self.scope.string(bound["column_name"]))
        prefix = f"ALTER TABLE {table} ALTER COLUMN {name}"
        out = []
        if "type_" in bound:
            using = self.v(bound, "postgresql_using")
            text = f"{prefix} TYPE {sql_type(bound['type_'], self.scope)}"
            out.append(text + (f" USING {using}" if using else ""))
        if "nullable" in bound and self.v(bound, "nullable") is not None:
            out.append(f"{prefix} {'DROP' if self.v(bound, 'nullable') else 'SET'} NOT NULL")
        if "server_default" in bound:
            node = bound["server_default"]
            if not (isinstance(node, ast.Constant) and node.value is False):  # False: unchanged
                default = default_sql(node, self.scope)
                change = "DROP DEFAULT" if default is None else f"SET DEFAULT {default}"
                out.append(f"{prefix} {change}")
        if "comment" in bound and not (
            isinstance(bound["comment"], ast.Constant) and bound["comment"].value is False
        ):
            comment = self.v(bound, "comment")
            column_name = self.scope.string(bound["column_name"])
            out.append(comment_on(table, column_name, None if comment is None else str(comment)))
        if "new_column_name" in bound:
            new_name = quote(self.scope.string(bound["new_column_name"]))
            out.append(f"ALTER TABLE {table} RENAME {name} TO {new_name}")
        if not out:
            raise Unknown("op.alter_column changes nothing pgfence translates (comment?)")
        return out

    def create_index(self, bound: dict[str, ast.AST]) -> list[str]:
        unique = "UNIQUE " if self.v(bound, "unique") else ""
        concurrently = " CONCURRENTLY" if self.v(bound, "postgresql_concurrently") else ""
        exists = " IF NOT EXISTS" if self.v(bound, "if_not_exists") else ""
        name = quote(self.scope.string(bound["index_name"]))
        using = self.v(bound, "postgresql_using")
        text = f"CREATE {unique}INDEX{concurrently}{exists} {name} ON {self.table(bound)}"
        text += f" USING {using}" if using else ""
        ops = self.v(bound, "postgresql_ops") or {}
        if not isinstance(ops, dict):
            raise Unknown("postgresql_ops that is not a literal dict")
        columns = self.scope.value(bound["columns"])
        columns = columns if isinstance(columns, list) else [columns]
        parts = [
            c.sql if isinstance(c, SqlText) else quote(str(c)) + (f" {ops[c]}" if c in ops else "")
            for c in columns
        ]
        text += f" ({', '.join(parts)})"
        include = self.v(bound, "postgresql_include")
        if include is not None and not isinstance(include, list):
            raise Unknown("postgresql_include that is not a literal list")
        if include:
            text += f" INCLUDE ({', '.join(quote(str(c)) for c in include)})"
        if self.v(bound, "postgresql_nulls_not_distinct"):
            text += " NULLS NOT DISTINCT"
        with_options = self.v(bound, "postgresql_with")
        if with_options is not None and not isinstance(with_options, dict):
            raise Unknown("postgresql_with that is not a literal dict")
        if with_options:
            text += " WITH (" + ", ".join(f"{k} = {v}" for k, v in with_options.items()) + ")"
        where = self.v(bound, "postgresql_where")
        if where is not None:
            text += f" WHERE {where.sql if isinstance(where, SqlText) else where}"
        return [text]

    def drop_index(self, bound: dict[str, ast.AST]) -> list[str]:
        concurrently = " CONCURRENTLY" if self.v(bound, "postgresql_concurrently") else ""
        exists = " IF EXISTS" if self.v(bound, "if_exists") else ""
        schema = self.v(bound, "schema")
        name = qualified(
            self.scope.string(bound["index_name"]), schema if isinstance(schema, str) else None
        )
        return [f"DROP INDEX{concurrently}{exists} {name}"]

    def _constraint(self, bound: dict[str, ast.AST]) -> str:
        name = self.v(bound, "constraint_name")
        return f"CONSTRAINT {quote(str(name))} " if name else ""

    def create_foreign_key(self, bound: dict[str, ast.AST]) -> list[str]:
        source_schema = self.v(bound, "source_schema")
        referent_schema = self.v(bound, "referent_schema")
        source = qualified(self.scope.string(bound["source_table"]), source_schema or None)  # type: ignore[arg-type]
        referent = qualified(self.scope.string(bound["referent_table"]), referent_schema or None)  # type: ignore[arg-type]
        local = ", ".join(names(bound["local_cols"], self.scope))
        remote = ", ".join(names(bound["remote_cols"], self.scope))
        text = (
            f"ALTER TABLE {source} ADD {self._constraint(bound)}"
            f"FOREIGN KEY({local}) REFERENCES {referent} ({remote})"
        )
        text += fk_actions(bound, self.scope)
        if self.v(bound, "postgresql_not_valid"):
            text += " NOT VALID"
        return [text]

    def create_unique_constraint(self, bound: dict[str, ast.AST]) -> list[str]:
        cols = ", ".join(names(bound["columns"], self.scope))
        nulls = " NULLS NOT DISTINCT" if self.v(bound, "postgresql_nulls_not_distinct") else ""
        text = (
            f"ALTER TABLE {self.table(bound)} ADD {self._constraint(bound)}UNIQUE{nulls} ({cols})"
        )
        if self.v(bound, "deferrable"):
            text += " DEFERRABLE"
        if self.v(bound, "initially"):
            text += f" INITIALLY {self.v(bound, 'initially')}"
        return [text]

    def create_check_constraint(self, bound: dict[str, ast.AST]) -> list[str]:
        condition = condition_sql(bound["condition"], self.scope)
        text = f"ALTER TABLE {self.table(bound)} ADD {self._constraint(bound)}CHECK ({condition})"
        return [text + (" NOT VALID" if self.v(bound, "postgresql_not_valid") else "")]

    def create_primary_key(self, bound: dict[str, ast.AST]) -> list[str]:
        cols = ", ".join(names(bound["columns"], self.scope))
        return [
            f"ALTER TABLE {self.table(bound)} ADD {self._constraint(bound)}PRIMARY KEY ({cols})"
        ]

    def drop_constraint(self, bound: dict[str, ast.AST]) -> list[str]:
        exists = " IF EXISTS" if self.v(bound, "if_exists") else ""
        name = quote(self.scope.string(bound["constraint_name"]))
        return [f"ALTER TABLE {self.table(bound)} DROP CONSTRAINT{exists} {name}"]

    def rename_table(self, bound: dict[str, ast.AST]) -> list[str]:
        old = self.table(bound, "old_table_name")
        return [f"ALTER TABLE {old} RENAME TO {quote(self.scope.string(bound['new_table_name']))}"]

    def drop_table(self, bound: dict[str, ast.AST]) -> list[str]:
        exists = " IF EXISTS" if self.v(bound, "if_exists") else ""
        return [f"DROP TABLE{exists} {self.table(bound)}"]

    def create_table(self, bound: dict[str, ast.AST]) -> list[str]:
        table = self.table(bound)
        bare = self.scope.string(bound["table_name"])
        columns: list[ColumnDef] = []
        extra: list[str] = []
        for item in pyast.star_args(bound):
            if last_name(item) == "Column":
                columns.append(column(item, self.scope))
            elif last_name(item) != "Index":
                extra.append(self.table_constraint(item))
        pk_names = {
            name.strip('"')
            for e in extra
            if e.startswith(("PRIMARY KEY", "CONSTRAINT")) and "PRIMARY KEY (" in e
            for name in e.split("PRIMARY KEY (", 1)[1].rstrip(")").split(", ")
        }
        pk = [c for c in columns if c.primary_key or c.name in pk_names]
        serial_pk = (
            len(pk) == 1
            and pk[0].type in ("INTEGER", "BIGINT", "SMALLINT")
            and pk[0].autoincrement
            and pk[0].default is None
        )
        parts = [c.ddl(serial=serial_pk and c is pk[0] and c.identity is None) for c in columns]
        # SQLAlchemy's order: the primary key, then the constraints by creation order (those
        # given to op.create_table are made before the table, the columns' own with it).
        primary = [e for e in extra if "PRIMARY KEY (" in e]
        parts += primary
        if pk and not pk_names:
            parts.append(f"PRIMARY KEY ({', '.join(quote(c.name) for c in pk)})")
        parts += [e for e in extra if e not in primary]
        for c in columns:
            if c.unique and not c.index:
                parts.append(f"UNIQUE ({quote(c.name)})")
            parts += [f"FOREIGN KEY({quote(c.name)}) {fk}" for fk in c.foreign_keys]
        out = [c.enum for c in columns if c.enum]
        out.append(f"CREATE TABLE {table} ({', '.join(parts)})")
        comment = self.v(bound, "comment")
        if comment is not None:
            out.append(comment_on(table, None, str(comment)))
        out += [comment_on(table, c.name, c.comment) for c in columns if c.comment is not None]
        out += [
            f"CREATE {'UNIQUE ' if c.unique else ''}INDEX {quote(f'ix_{bare}_{c.name}')} "
            f"ON {table} ({quote(c.name)})"
            for c in columns
            if c.index
        ]
        return out

    def table_constraint(self, item: ast.AST) -> str:
        """A constraint object given to op.create_table, as its table-constraint SQL."""
        kind = last_name(item)
        if not isinstance(item, ast.Call):
            raise Unknown(f"`{ast.unparse(item)}` in op.create_table")
        if kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
            inner = bind(item, ["*"])
            cols = ", ".join(quote(self.scope.string(a)) for a in pyast.star_args(inner))
            body = f"{'PRIMARY KEY' if kind == 'PrimaryKeyConstraint' else 'UNIQUE'} ({cols})"
        elif kind == "ForeignKeyConstraint":
            inner = bind(item, ["columns", "refcolumns"])
            local = ", ".join(quote(str(c)) for c in self.scope.value(inner["columns"]))
            refs = [str(r) for r in self.scope.value(inner["refcolumns"])]
            ref_schema, _, ref_table = refs[0].rpartition(".")[0].rpartition(".")
            remote = ", ".join(quote(r.rpartition(".")[2]) for r in refs)
            target = qualified(ref_table, ref_schema or None)
            body = f"FOREIGN KEY({local}) REFERENCES {target} ({remote})"
            body += fk_actions(inner, self.scope)
        elif kind == "CheckConstraint":
            inner = bind(item, ["sqltext"])
            body = f"CHECK ({self.scope.string(inner['sqltext'])})"
        else:
            raise Unknown(f"`{ast.unparse(item)}` in op.create_table")
        name = self.v(inner, "name")
        return (f"CONSTRAINT {quote(str(name))} " if name else "") + body

    def learn_entities(self, body: list[ast.stmt]) -> None:
        """`name = PGFunction(...)` (and the other alembic_utils entities) in `body`."""
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and alembic_entities.is_entity(node.value):
                    assert isinstance(node.value, ast.Call)
                    self.entities[target.id] = node.value

    def entity(self, bound: dict[str, ast.AST]) -> list[str]:
        """alembic_utils' op.create_entity / replace_entity / drop_entity."""
        node = bound.get("target")
        if isinstance(node, ast.Name):
            node = self.entities.get(node.id, node)
        if not (isinstance(node, ast.Call) and alembic_entities.is_entity(node)):
            raise Unknown("an alembic_utils entity that is not constructed in this revision")
        entity = alembic_entities.read(node, self.scope)
        if self.method == "create_entity":
            return alembic_entities.create(entity)
        if self.method == "replace_entity":
            return alembic_entities.replace(entity)
        return alembic_entities.drop(entity, bool(self.v(bound, "cascade", False)))

    def create_table_comment(self, bound: dict[str, ast.AST]) -> list[str]:
        return [comment_on(self.table(bound), None, str(self.v(bound, "comment")))]

    def drop_table_comment(self, bound: dict[str, ast.AST]) -> list[str]:
        return [comment_on(self.table(bound), None, None)]

    def create_exclude_constraint(self, bound: dict[str, ast.AST]) -> list[str]:
        parts = []
        for element in pyast.star_args(bound):
            pair = self.scope.value(element)
            if not (isinstance(pair, list) and len(pair) == 2):
                raise Unknown(f"the exclusion element `{ast.unparse(element)}`")
            column_name, operator = pair
            parts.append(f"{quote(str(column_name))} WITH {operator}")
        using = self.v(bound, "using") or "gist"
        text = (
            f"ALTER TABLE {self.table(bound)} ADD {self._constraint(bound)}"
            f"EXCLUDE USING {using} ({', '.join(parts)})"
        )
        where = self.v(bound, "where")
        if where is not None:
            text += f" WHERE ({where.sql if isinstance(where, SqlText) else where})"
        return [text]

    def bulk_insert(self, bound: dict[str, ast.AST]) -> list[str]:
        """One INSERT per row, as Alembic's offline mode sends them."""
        table = self.core.table(bound["table"], "op.bulk_insert")
        rows = bound["rows"]
        if not isinstance(rows, ast.List | ast.Tuple):  # a constant of the file
            values = self.core.known(rows, f"the rows `{ast.unparse(rows)}` of op.bulk_insert")
            if not isinstance(values, list) or not all(isinstance(r, dict) for r in values):
                raise Unknown(f"the rows `{ast.unparse(rows)}` of op.bulk_insert, not dicts")
            return [self.core.insert_sql(table, row) for row in values]
        out = []
        for row in rows.elts:
            if not isinstance(row, ast.Dict) or None in row.keys:
                raise Unknown(f"the row `{ast.unparse(row)}` of op.bulk_insert, not a literal dict")
            values = {}
            for key, value in zip(row.keys, row.values, strict=True):
                name = self.scope.string(key)  # type: ignore[arg-type]  # None ruled out above
                values[name] = self.core.known(value, f"the value of `{name}`")
            out.append(self.core.insert_sql(table, values))
        return out


# ---- one revision file ----------------------------------------------------------------


@dataclass
class Revision:
    path: str
    revision: str | None
    down: tuple[str, ...]
    tree: ast.Module | None
    text: str
    error: object = None  # a parse-error Finding


def read_revision(path: str, ctx: LoadContext) -> Revision:
    text = ctx.read(path)
    tree, error = pyast.parse_python(text, path)
    if tree is None:
        return Revision(path, None, (), None, text, error)
    scope = pyast.Scope()
    scope.learn(tree.body)
    revision = scope.constants.get("revision")
    down: list[str] = []
    for key in ("down_revision", "depends_on"):
        value = scope.constants.get(key)
        if isinstance(value, str):
            down.append(value)
        elif isinstance(value, list):
            down.extend(str(v) for v in value)
    return Revision(path, revision if isinstance(revision, str) else None, tuple(down), tree, text)


def order(revisions: list[Revision]) -> list[Revision]:
    """Parents before children; ties in file-name order."""
    return pyast.dependency_order(
        sorted(revisions, key=lambda r: natural_key(r.path)),
        key=lambda r: r.revision or None,
        needs=lambda r: r.down,
    )


class _Transactions:
    """The runner's transaction as `upgrade()` bodies are walked, file after file."""

    def __init__(self, ctx: LoadContext, per_migration: bool) -> None:
        self.ctx = ctx
        self.per_migration = per_migration
        self.current: Transaction | None = None

    def start_file(self) -> None:
        if self.per_migration or self.current is None:
            self.current = self.ctx.runner_transaction()

    def runner(self) -> Transaction:
        if self.current is None:
            self.current = self.ctx.runner_transaction()
        return self.current

    def autocommit_block_ended(self) -> None:
        self.current = None  # Alembic opens a new transaction for what follows


MAX_UNROLLED = 1000  # values of a literal tuple or list a loop over it is unrolled for


def _leaves_early(loop: ast.For) -> bool:
    """A loop body that can end the loop before its last value (`return`, `break`, not in
    a function of its own): which values it runs for is decided when it runs."""
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return | ast.Break):
            return True
        if not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.For | ast.While
        ):
            stack.extend(ast.iter_child_nodes(node))
    return False


# Reads of an executed statement's result: the statement is what is sent.
_RESULT_READS = frozenset(
    {"fetchone", "fetchall", "fetchmany", "first", "one", "one_or_none", "all", "scalar"}
    | {"scalar_one", "scalar_one_or_none", "scalars", "mappings"}
)


class _RunTimeItem:
    """An item of a loop's collection known only at run time (an imported constant)."""

    def __repr__(self) -> str:
        return "(a value known only at run time)"


_RUN_TIME = _RunTimeItem()


def _executed(call: ast.Call) -> ast.Call:
    """`connection.execute(…).fetchone()`: what is sent is the execute's."""
    while (
        isinstance(call.func, ast.Attribute)
        and call.func.attr in _RESULT_READS
        and isinstance(call.func.value, ast.Call)
    ):
        call = call.func.value
    return call


def _inner_calls(call: ast.Call) -> list[ast.Call]:
    return [n for n in ast.walk(call) if isinstance(n, ast.Call) and n is not call]


def _loop_names(target: ast.AST) -> list[str] | None:
    """The names a `for` binds (`for k, v in …`); None: a target pgfence does not bind."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts if isinstance(e, ast.Name)]
    return None


def _assigned(loop: ast.For | ast.While | ast.AsyncFor) -> set[str]:
    """The names a loop binds or assigns, unknown once it has run."""
    names: set[str] = set()
    for node in ast.walk(loop):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


class _Walker:
    """Walks `upgrade()` and turns each op call into Statements."""

    def __init__(self, revision: Revision, tx: _Transactions) -> None:
        self.revision = revision
        self.path = revision.path
        self.lines = revision.text.splitlines()
        self.tx = tx
        self.out = Extraction(revision.path)
        self.scope = pyast.Scope()
        self.tables: dict[str, Table] = {}
        self.binds: set[str] = set()
        self.translator = Translator(self.scope, self.tables)
        self.autocommit = False
        # The revision's own module-level functions (`def set_config(key, value)`), walked
        # where upgrade() calls them; `active`: those being walked (no recursion).
        self.helpers: dict[str, ast.FunctionDef] = {}
        self.active: set[str] = set()
        self.conditionals: set[Location] = set()  # where conditional code was noted

    def run(self) -> Extraction:
        tree = self.revision.tree
        assert tree is not None
        self.scope.learn(tree.body)
        upgrade = next(
            (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
        )
        if upgrade is None:
            self.out.gap(Location(self.path, 1, 1), "no upgrade() function in this revision")
            return self.out
        self.tx.start_file()
        self.helpers = {
            n.name: n
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name not in ("upgrade", "downgrade")
        }
        self.learn_module_tables(tree.body)
        self.scope.learn(upgrade.body)
        self.translator.learn_entities(tree.body)
        self.translator.learn_entities(upgrade.body)
        self.body(upgrade.body, batch=None)
        return self.out

    def transaction(self) -> Transaction:
        return AUTOCOMMIT if self.autocommit else self.tx.runner()

    def body(self, statements: list[ast.stmt], batch: tuple[str, str | None] | None) -> None:
        for statement in statements:
            self.statement(statement, batch)

    def unrolled(self, node: ast.For, batch: tuple[str, str | None] | None) -> bool:
        """`for name in ("a", "b"):` / over a constant of the revision (a dict's keys, or
        its `.items()`): the body read once per value, the loop variable bound to it (then
        the scope as it was). An item known only at run time (an imported constant) leaves
        its variable unknown. A body that can leave the loop early is read with the first
        value, and its statements are never sent."""
        values = self.loop_values(node.iter)
        names = _loop_names(node.target)
        if values is None or len(values) > MAX_UNROLLED or names is None:
            return False
        if len(names) > 1 and not all(
            isinstance(value, list) and len(value) == len(names) for value in values
        ):
            return False
        early = _leaves_early(node)
        if early and not values:
            return True
        saved = {n: self.scope.constants[n] for n in names if n in self.scope.constants}
        start = len(self.out.statements)
        try:
            for value in values[:1] if early else values:
                bound = [value] if len(names) == 1 else value
                assert isinstance(bound, list)
                for name, item in zip(names, bound, strict=True):
                    if item is _RUN_TIME:
                        self.scope.constants.pop(name, None)
                    else:
                        self.scope.constants[name] = item
                self.body(node.body, batch)
        finally:
            for name in names:
                self.scope.constants.pop(name, None)
            self.scope.constants.update(saved)
        if early:
            self.first_tried(node, start, values[0])
        return True

    def first_tried(self, node: ast.For, start: int, first: object) -> None:
        """The statements a loop that can end at any of its values made with its first:
        which value they run with is known only at run time, so they are never sent."""
        made = self.out.statements[start:]
        if not made:
            return
        what = f"the loop over `{ast.unparse(node.iter)[:40]}`"
        reason = f"{what} runs it with one of its values, known only at run time: not sent"
        self.out.statements[start:] = [
            dataclasses.replace(s, refused=s.refused or reason) for s in made
        ]
        shown = "an item known only at run time" if first is _RUN_TIME else first
        self.out.first_value(pyast.location(self.path, node), what, shown)

    def loop_values(self, node: ast.AST) -> list[object] | None:
        """The values a `for` runs over when they are in the file, items known only at run
        time as _RUN_TIME; None: the collection itself is known only at run time."""
        method = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("items", "keys", "values")
            and not node.args
        ):
            method, node = node.func.attr, node.func.value
        try:
            values = self.scope.value(node)
        except Unknown:
            if isinstance(node, ast.List | ast.Tuple | ast.Set) and method is None:
                return [self.item(e) for e in node.elts]
            return None
        if isinstance(values, dict):
            if method == "items":
                return [list(pair) for pair in values.items()]
            return list(values.values()) if method == "values" else list(values)
        return values if isinstance(values, list) and method is None else None

    def item(self, node: ast.AST) -> object:
        try:
            return self.scope.value(node)
        except Unknown:
            if isinstance(node, ast.List | ast.Tuple):
                return [self.item(e) for e in node.elts]
            return _RUN_TIME

    def statement(self, node: ast.stmt, batch: tuple[str, str | None] | None) -> None:
        where = pyast.location(self.path, node)
        if isinstance(node, ast.Expr):
            self.expression(node.value, batch, top=True)
            return
        if isinstance(node, ast.Return):
            if node.value is not None:
                self.expression(node.value, batch)
            return
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            self.assignment(node, batch)
            return
        if isinstance(node, ast.With):
            self.with_block(node, batch)
            return
        if isinstance(node, ast.For) and not node.orelse and self.unrolled(node, batch):
            return
        if isinstance(node, ast.For | ast.While | ast.AsyncFor):
            self.run_time_loop(node, batch)
            return
        if isinstance(node, ast.If) and (truth := pyast.on_postgres(node.test)) is not None:
            # `if url.startswith("mysql"):`: on PostgreSQL only the other branch runs
            self.body(node.body if truth else node.orelse, batch)
            return
        if isinstance(node, ast.If | ast.Try):
            if isinstance(node, ast.If):
                self.expression(node.test, batch)
            if where not in self.conditionals:  # once, in a loop read once per value
                self.conditionals.add(where)
                self.out.gap(
                    where,
                    "conditional code: pgfence analysed every branch as if it ran; what "
                    "really runs depends on values known only at run time",
                )
            branches = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                branches += [h.body for h in node.handlers] + [node.finalbody]
            for branch in branches:
                self.body(branch, batch)

    def run_time_loop(
        self, node: ast.For | ast.While | ast.AsyncFor, batch: tuple[str, str | None] | None
    ) -> None:
        """A loop over values known only at run time (the rows of a query): its collection
        read once, its body analysed once and noted, with the loop's variables and what it
        assigns unknown in it and after it."""
        forgotten = _assigned(node)
        self.forget(forgotten)
        self.expression(node.test if isinstance(node, ast.While) else node.iter, batch)
        if not pyast.calls_in(node.body + node.orelse):
            return  # `for row in rows: ids.append(row.id)` sends nothing
        header = node.test if isinstance(node, ast.While) else node.iter
        what = f"the loop over `{ast.unparse(header)[:40]}`"
        if isinstance(node, ast.While):
            what = f"the loop while `{ast.unparse(header)[:40]}`"
        self.out.run_time_loop(pyast.location(self.path, node), what)
        self.body(node.body, batch)
        self.body(node.orelse, batch)
        self.forget(forgotten)

    def forget(self, names: set[str]) -> None:
        for name in names:
            self.scope.constants.pop(name, None)

    def expression(
        self, node: ast.AST, batch: tuple[str, str | None] | None, top: bool = False
    ) -> None:
        """The migration calls an expression makes (`if get_config("setup"):`, a loop's
        `connection.execute(t.select())`), outermost first; `top`: an expression statement,
        whose call is the migration's whatever it is."""
        if isinstance(node, ast.Call) and (
            self.is_sent(node) or (top and not any(self.is_sent(n) for n in _inner_calls(node)))
        ):
            self.call(node, batch)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expression(child, batch)

    def is_sent(self, call: ast.Call) -> bool:
        """Is `call` one that sends SQL (an execute, an op that emits SQL, or a function of
        the revision's own), read wherever it is in an expression?"""
        call = _executed(call)
        if isinstance(call.func, ast.Name) and call.func.id in self.helpers:
            return True
        head, _, method = dotted(call.func).partition(".")
        return (
            method in ("execute", "exec_driver_sql")
            or method.endswith(".execute")
            or (head == "op" and method in self.translator.handlers)
        )

    def assignment(
        self, node: ast.Assign | ast.AnnAssign, batch: tuple[str, str | None] | None
    ) -> None:
        value = node.value
        assert value is not None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        target = targets[0] if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
        if target is not None:  # what the name holds from here on
            try:
                self.scope.constants[target.id] = self.scope.value(value)
            except Unknown:
                self.scope.constants.pop(target.id, None)
        if isinstance(value, ast.Call):
            name = dotted(value.func)
            if name.endswith("get_bind") and target is not None:
                self.binds.add(target.id)
                return
            if is_table_call(value) and target is not None:
                self.learn_table(target.id, value)
                return
            if self.is_op_call(value):
                self.call(value, batch)
                return
        self.expression(value, batch)

    def learn_table(self, name: str, call: ast.Call) -> None:
        self.tables.pop(name, None)
        with contextlib.suppress(Unknown):
            self.tables[name] = read_table(call, self.scope)

    def learn_module_tables(self, body: list[ast.stmt]) -> None:
        """`accounts = sa.table("accounts", …)` at module level, as revisions often write it."""
        for node in body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and is_table_call(node.value)
            ):
                assert isinstance(node.value, ast.Call)
                self.learn_table(node.targets[0].id, node.value)

    def with_block(self, node: ast.With, batch: tuple[str, str | None] | None) -> None:
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call) and last_name(expr) == "autocommit_block":
                self.autocommit = True
                self.body(node.body, batch)
                self.autocommit = False
                self.tx.autocommit_block_ended()
                return
            if isinstance(expr, ast.Call) and last_name(expr) == "batch_alter_table":
                try:
                    bound = bind(expr, ["table_name"])
                    table = self.scope.string(bound["table_name"])
                    schema = self.scope.value(bound["schema"]) if "schema" in bound else None
                except Unknown as exc:
                    self.out.gap(pyast.location(self.path, expr), f"op.batch_alter_table on {exc}")
                    return
                self.body(node.body, batch=(table, schema))
                return
        self.body(node.body, batch)

    def is_op_call(self, call: ast.Call) -> bool:
        name = dotted(call.func)
        head = name.split(".", 1)[0]
        return head == "op" or head in self.binds or name.endswith(".execute")

    def call(self, call: ast.Call, batch: tuple[str, str | None] | None) -> None:
        call = _executed(call)
        if isinstance(call.func, ast.Name) and call.func.id in self.helpers:
            self.helper(call, batch)
            return
        where = pyast.location(self.path, call)
        name = dotted(call.func)
        head, _, method = name.partition(".")
        if not name or head in ("print", "logger", "log", "logging", "warnings"):
            return
        ignored = ignores_at(self.lines, where.line, "#", call.end_lineno)

        def translate() -> None:
            if (
                method == "execute"
                or method.endswith(".execute")
                or (head in self.binds and method == "exec_driver_sql")
            ):
                if call.args and self.translator.core.is_statement(call.args[0]):
                    self.core_statement(call.args[0], where, name, ignored)
                    return
                sql = self.schema_sql(call.args[0]) if call.args else ""
                statements, findings = raw_statements(
                    sql, where, self.transaction(), name, ignored, self.out.budget
                )
                self.out.add(statements, findings)
            elif head == "op" or (batch is not None and "." in name and "." not in method):
                statements = [
                    generated(sql, where, self.transaction(), name, ignored, self.out.budget)
                    for sql in self.translator.translate(
                        method, call, batch if head != "op" else None
                    )
                ]
                self.out.add(statements)
            elif (
                method.endswith("create")
                and isinstance(call.func, ast.Attribute)
                and (enum := enum_type(call.func.value, self.scope))
            ):
                # postgresql.ENUM(..., name=).create(op.get_bind())
                self.out.add(
                    [generated(enum, where, self.transaction(), name, ignored, self.out.budget)]
                )
            else:
                raise Unknown(f"a call to `{name}()`, whose SQL pgfence does not follow")

        self.out.extract(where, name, translate)

    def core_statement(
        self, node: ast.AST, where: Location, origin: str, ignored: frozenset[str]
    ) -> None:
        """A Core statement executed; values known only at run time are NULL, noted."""
        core = self.translator.core.statement(node)
        statement = generated(core.sql, where, self.transaction(), origin, ignored, self.out.budget)
        if not core.unknown:
            self.out.add([statement])
            return
        statement, finding = with_placeholders(statement, core.unknown, core.safe)
        self.out.add([statement], [finding])

    def helper(self, call: ast.Call, batch: tuple[str, str | None] | None) -> None:
        """A call of one of the revision's own functions: its body walked with its
        parameters bound to the arguments in the file (others unknown in it)."""
        assert isinstance(call.func, ast.Name)
        function = self.helpers[call.func.id]
        if function.name in self.active:
            self.out.gap(
                pyast.location(self.path, call),
                f"{function.name}() calls itself: pgfence does not follow it there",
            )
            return
        params = [a.arg for a in function.args.posonlyargs + function.args.args]
        arguments: dict[str, ast.AST] = dict(zip(params, call.args, strict=False))
        arguments.update({k.arg: k.value for k in call.keywords if k.arg in params})
        saved = dict(self.scope.constants)
        for param in params:
            self.scope.constants.pop(param, None)
            if param in arguments:
                with contextlib.suppress(Unknown):
                    self.scope.constants[param] = self.scope_value(arguments[param], saved)
        self.active.add(function.name)
        try:
            self.scope.learn(function.body)
            self.body(function.body, batch)
        finally:
            self.active.discard(function.name)
            self.scope.constants.clear()
            self.scope.constants.update(saved)

    def scope_value(self, node: ast.AST, constants: dict[str, object]) -> object:
        """`node`'s value in the caller's scope (`constants`)."""
        return pyast.Scope(dict(constants)).value(node)

    def schema_sql(self, node: ast.AST) -> str:
        """What op.execute() is given: SQL text, a CreateSequence / DropSequence, or a
        Core insert / update / delete."""
        if self.translator.core.is_statement(node):
            return self.translator.core.statement_sql(node)
        if isinstance(node, ast.Call) and last_name(node) in ("CreateSequence", "DropSequence"):
            inner = node.args[0] if node.args else None
            if isinstance(inner, ast.Call) and last_name(inner) == "Sequence" and inner.args:
                verb = "CREATE" if last_name(node) == "CreateSequence" else "DROP"
                return f"{verb} SEQUENCE {quote(self.scope.string(inner.args[0]))}"
        return self.scope.string(node)


def _per_migration(revisions: list[Revision]) -> bool:
    """Does the project's env.py run each revision in its own transaction?"""
    candidates = {Path(r.path).parent.parent / "env.py" for r in revisions}
    return any(
        re.search(r"transaction_per_migration\s*=\s*True", head(str(env)))
        for env in candidates
        if env.is_file()
    )


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    if target.explicit_file:
        found = list(target.files)
    else:
        found = [
            f for f in files_containing(target, (".py",), *_MARKERS) if Path(f).name != "env.py"
        ]
    if not found:
        raise no_files(target, "Alembic", "versions/*.py with revision and upgrade()")
    revisions = order([read_revision(path, ctx) for path in found])
    tx = _Transactions(ctx, _per_migration(revisions))
    migrations = []
    for revision in revisions:
        if revision.tree is None:
            migrations.append(Migration(revision.path, NAME, (), (revision.error,)))  # type: ignore[arg-type]
            continue
        migrations.append(_Walker(revision, tx).run().migration(NAME))
    return migrations
