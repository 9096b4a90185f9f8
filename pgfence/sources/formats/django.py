"""Django migrations, read with Python's `ast` (never imported): operations -> SQL.

Each operation becomes the SQL Django's PostgreSQL schema editor emits (Django 4.2-5.2):
tables are `<app_label>_<model>` unless `db_table` says otherwise, foreign keys are
`<name>_id` columns with DEFERRABLE constraints and an index, and index and constraint
names use Django's own hashed names. Migrations are ordered by their `dependencies`. An
atomic migration (the default) runs in one transaction; `atomic = False` runs each
statement on its own. SQL Django defers (indexes and foreign keys of new models and
fields) runs at the end of the migration, as Django does.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pgfence.model import AUTOCOMMIT, Location, Migration
from pgfence.sources import checks
from pgfence.sources.files import natural_key
from pgfence.sources.formats import pyast
from pgfence.sources.formats.base import (
    UNREADABLE,
    Extraction,
    LoadContext,
    Target,
    files_containing,
    generated,
    ignores_at,
    info,
    literal,
    mentions,
    no_files,
    raw_statements,
    sql_literal,
)
from pgfence.sources.formats.pyast import Unknown, bind, last_name

NAME = "django"
_MARKER = "migrations.Migration"
_MAX_NAME = 63  # PostgreSQL's identifier length


def detect(target: Target) -> bool:
    return any(mentions(f, (_MARKER,)) for f in target.with_suffix(".py"))


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- Django's names -------------------------------------------------------------------


def names_digest(*args: str, length: int) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for arg in args:
        digest.update(arg.encode())
    return digest.hexdigest()[:length]


def index_name(table: str, columns: list[str], suffix: str = "") -> str:
    """BaseDatabaseSchemaEditor._create_index_name, for PostgreSQL's 63-byte names."""
    hash_suffix = f"{names_digest(table, *columns, length=8)}{suffix}"
    name = f"{table}_{'_'.join(columns)}_{hash_suffix}"
    if len(name) <= _MAX_NAME:
        return name
    if len(hash_suffix) > _MAX_NAME // 3:
        hash_suffix = hash_suffix[: _MAX_NAME // 3]
    other = (_MAX_NAME - len(hash_suffix)) // 2 - 1
    name = f"{table[:other]}_{'_'.join(columns)[:other]}_{hash_suffix}"
    if name[0] == "_" or name[0].isdigit():
        name = f"D{name[:-1]}"
    return name


# ---- fields ---------------------------------------------------------------------------

_TYPES: dict[str, str] = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "SmallAutoField": "smallint",
    "BinaryField": "bytea",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "CharField": "varchar({max_length})",
    "SlugField": "varchar({max_length})",
    "EmailField": "varchar({max_length})",
    "URLField": "varchar({max_length})",
    "FileField": "varchar({max_length})",
    "ImageField": "varchar({max_length})",
    "FilePathField": "varchar({max_length})",
    "DateField": "date",
    "DateTimeField": "timestamp with time zone",
    "DecimalField": "numeric({max_digits}, {decimal_places})",
    "DurationField": "interval",
    "FloatField": "double precision",
    "IntegerField": "integer",
    "BigIntegerField": "bigint",
    "SmallIntegerField": "smallint",
    "PositiveIntegerField": "integer",
    "PositiveBigIntegerField": "bigint",
    "PositiveSmallIntegerField": "smallint",
    "IPAddressField": "inet",
    "GenericIPAddressField": "inet",
    "JSONField": "jsonb",
    "TextField": "text",
    "TimeField": "time",
    "UUIDField": "uuid",
}
_DEFAULT_LENGTHS = {
    "SlugField": 50,
    "EmailField": 254,
    "URLField": 200,
    "FileField": 100,
    "ImageField": 100,
    "FilePathField": 100,
}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}
_POSITIVE = {"PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}
_RELATIONS = {"ForeignKey", "OneToOneField"}
_INDEXED_BY_DEFAULT = {"SlugField", "ForeignKey", "OneToOneField"}


@dataclass
class Field:
    name: str
    column: str
    kind: str  # the Field class name
    db_type: str
    null: bool = False
    primary_key: bool = False
    unique: bool = False
    db_index: bool = False
    default: str | None = None  # SQL literal of a Python default (Django drops it after)
    db_default: str | None = None
    target: tuple[str, str] | None = None  # (table, column) of a foreign key
    check: str | None = None  # the CHECK of positive integer fields

    def definition(self) -> str:
        text = self.db_type
        if self.db_default is not None:
            text += f" DEFAULT {self.db_default}"
        elif self.default is not None:
            text += f" DEFAULT {self.default}"
        text += " NULL" if self.null else " NOT NULL"
        if self.primary_key:
            text += " PRIMARY KEY"
            if self.kind in _AUTO:
                text += " GENERATED BY DEFAULT AS IDENTITY"
        elif self.unique:
            text += " UNIQUE"
        if self.check:
            text += f" CHECK ({self.check})"
        return text


@dataclass
class Model:
    table: str
    fields: dict[str, Field] = field(default_factory=dict)

    def pk(self) -> Field | None:
        return next((f for f in self.fields.values() if f.primary_key), None)


class State:
    """Tables and columns of every model seen so far, walking migrations in order."""

    def __init__(self) -> None:
        self.models: dict[tuple[str, str], Model] = {}

    def table(self, app: str, model: str) -> str:
        found = self.models.get((app, model.lower()))
        return found.table if found else f"{app}_{model.lower()}"

    def model(self, app: str, model: str) -> Model:
        return self.models.setdefault((app, model.lower()), Model(self.table(app, model)))

    def target(self, app: str, reference: str) -> tuple[str, str, str]:
        """(table, pk column, pk type) of a model a foreign key points at."""
        if reference == "auth.User":
            return "auth_user", "id", "integer"
        target_app, _, model = reference.rpartition(".")
        target_app = target_app or app
        found = self.models.get((target_app, model.lower()))
        pk = found.pk() if found else None
        if found and pk:
            return found.table, pk.column, _pk_column_type(pk)
        return self.table(target_app, model), "id", "bigint"


def _pk_column_type(pk: Field) -> str:
    return {"AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint"}.get(
        pk.kind, pk.db_type
    )


class FieldReader:
    def __init__(self, scope: pyast.Scope, state: State, app: str) -> None:
        self.scope = scope
        self.state = state
        self.app = app
        self.notes: list[str] = []

    def read(self, name: str, node: ast.AST) -> Field:
        if not isinstance(node, ast.Call):
            raise Unknown(f"the field `{ast.unparse(node)}`")
        kind = last_name(node)
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        value = self._kwarg(kwargs)
        if kind in _RELATIONS:
            return self._relation(name, kind, node, kwargs)
        if kind not in _TYPES:
            raise Unknown(f"a {kind}, a field type pgfence does not know")
        params = {
            "max_length": value("max_length", _DEFAULT_LENGTHS.get(kind)),
            "max_digits": value("max_digits", None),
            "decimal_places": value("decimal_places", None),
        }
        column = str(value("db_column", None) or name)
        if kind == "CharField" and params["max_length"] is None:
            db_type = "varchar"  # Django 4.2+ allows an unlimited CharField on PostgreSQL
        else:
            db_type = _TYPES[kind].format(**params)
        return Field(
            name=name,
            column=column,
            kind=kind,
            db_type=db_type,
            null=bool(value("null", False)),
            primary_key=bool(value("primary_key", False)),
            unique=bool(value("unique", False)),
            db_index=bool(value("db_index", kind in _INDEXED_BY_DEFAULT)),
            default=self._default(kwargs, kind),
            db_default=self._db_default(kwargs),
            check=f"{q(column)} >= 0" if kind in _POSITIVE else None,
        )

    def _kwarg(self, kwargs: dict[str, ast.expr]) -> Callable[[str, object], object]:
        def value(key: str, default: object) -> object:
            return self.scope.value(kwargs[key]) if key in kwargs else default

        return value

    def _relation(self, name: str, kind: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> Field:
        to_node = node.args[0] if node.args else kwargs.get("to")
        if to_node is None:
            raise Unknown(f"a {kind} without `to`")
        if pyast.dotted(to_node).endswith("AUTH_USER_MODEL"):
            reference = "auth.User"
            self.notes.append("settings.AUTH_USER_MODEL was taken to be auth.User")
        else:
            reference = str(self.scope.value(to_node))
        table, pk_column, pk_type = self.state.target(self.app, reference)
        value = self._kwarg(kwargs)
        column = str(value("db_column", None) or f"{name}_id")
        return Field(
            name=name,
            column=column,
            kind=kind,
            db_type=pk_type,
            null=bool(value("null", False)),
            unique=kind == "OneToOneField" or bool(value("unique", False)),
            db_index=bool(value("db_index", True)),
            target=(table, pk_column) if value("db_constraint", True) else None,
        )

    def _default(self, kwargs: dict[str, ast.expr], kind: str) -> str | None:
        if "default" not in kwargs:
            return None
        node = kwargs["default"]
        try:
            return literal(self.scope.value(node))
        except Unknown:
            # A callable (timezone.now, uuid.uuid4): Django calls it once while migrating,
            # so the column gets a constant default either way.
            self.notes.append(
                f"the default `{ast.unparse(node)}` is evaluated once by Django: "
                "pgfence used a constant of the column's type"
            )
            return _constant_of(kind)

    def _db_default(self, kwargs: dict[str, ast.expr]) -> str | None:
        if "db_default" not in kwargs:
            return None
        node = kwargs["db_default"]
        if isinstance(node, ast.Call) and last_name(node) == "Now":
            return "STATEMENT_TIMESTAMP()"
        return literal(self.scope.value(node))


def _constant_of(kind: str) -> str:
    if kind in ("DateTimeField", "DateField"):
        return "'2000-01-01'"
    if kind == "UUIDField":
        return "'00000000-0000-0000-0000-000000000000'"
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return "''"
    if kind == "JSONField":
        return "'{}'"
    if kind == "BooleanField":
        return "false"
    return "0"


def _is_text(f: Field) -> bool:
    return f.db_type.startswith("varchar") or f.db_type == "text"


# ---- Q objects ------------------------------------------------------------------------

_LOOKUPS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def condition(node: ast.AST, scope: pyast.Scope, columns: Callable[[str], str]) -> str:
    """A Q(...) (with &, |, ~) as SQL; lookups other than comparisons are Unknown."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        word = "AND" if isinstance(node.op, ast.BitAnd) else "OR"
        left = condition(node.left, scope, columns)
        return f"({left} {word} {condition(node.right, scope, columns)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return f"NOT ({condition(node.operand, scope, columns)})"
    if isinstance(node, ast.Call) and last_name(node) == "Q":
        parts = [condition(a, scope, columns) for a in node.args]
        for keyword in node.keywords:
            if keyword.arg is None:
                raise Unknown(f"`{ast.unparse(node)}`")
            parts.append(_lookup(keyword.arg, keyword.value, scope, columns))
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
    raise Unknown(f"the condition `{ast.unparse(node)}`")


def _lookup(key: str, node: ast.AST, scope: pyast.Scope, columns: Callable[[str], str]) -> str:
    name, _, lookup = key.partition("__")
    column = q(columns(name))
    if isinstance(node, ast.Call) and last_name(node) == "F" and node.args:
        right = q(columns(str(scope.value(node.args[0]))))
    else:
        value = scope.value(node)
        if lookup == "isnull":
            return f"{column} IS {'' if value else 'NOT '}NULL"
        if lookup == "in" and isinstance(value, list):
            return f"{column} IN ({', '.join(literal(v) for v in value)})"
        if value is None and lookup in ("", "exact"):
            return f"{column} IS NULL"
        right = literal(value)
    if (lookup or "exact") not in _LOOKUPS:
        raise Unknown(f"the lookup `{key}`")
    return f"{column} {_LOOKUPS[lookup or 'exact']} {right}"


# ---- operations -> SQL ----------------------------------------------------------------


@dataclass
class Output:
    statements: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # run at the end of the migration
    notes: list[str] = field(default_factory=list)


_SIGNATURES = {
    "CreateModel": ["name", "fields", "options"],
    "DeleteModel": ["name"],
    "RenameModel": ["old_name", "new_name"],
    "AlterModelTable": ["name", "table"],
    "AddField": ["model_name", "name", "field"],
    "RemoveField": ["model_name", "name"],
    "AlterField": ["model_name", "name", "field"],
    "RenameField": ["model_name", "old_name", "new_name"],
    "AddIndex": ["model_name", "index"],
    "AddIndexConcurrently": ["model_name", "index"],
    "RemoveIndex": ["model_name", "name"],
    "RemoveIndexConcurrently": ["model_name", "name"],
    "AddConstraint": ["model_name", "constraint"],
    "AddConstraintNotValid": ["model_name", "constraint"],
    "RemoveConstraint": ["model_name", "name"],
    "ValidateConstraint": ["model_name", "name"],
    "AlterUniqueTogether": ["name", "unique_together"],
}
# Operations that change only Django's state, never the database.
_STATE_ONLY = frozenset(
    {
        "AlterModelOptions",
        "AlterModelManagers",
        "AlterIndexTogether",
        "AlterOrderWithRespectTo",
        "AlterModelTableComment",
    }
)


class Translator:
    def __init__(self, app: str, scope: pyast.Scope, state: State) -> None:
        self.app = app
        self.scope = scope
        self.state = state

    def fields(self) -> FieldReader:
        return FieldReader(self.scope, self.state, self.app)

    def s(self, bound: dict[str, ast.AST], key: str) -> str:
        return self.scope.string(bound[key])

    def model(self, bound: dict[str, ast.AST], key: str = "model_name") -> Model:
        return self.state.model(self.app, self.s(bound, key))

    def column_of(self, model: Model) -> Callable[[str], str]:
        def column(name: str) -> str:
            found = model.fields.get(name)
            return found.column if found else name

        return column

    def translate(self, kind: str, bound: dict[str, ast.AST]) -> Output:
        handler = getattr(self, f"op_{kind}", None)
        if handler is None:
            raise Unknown(f"{kind} is not translated by pgfence")
        out: Output = handler(bound)
        return out

    # -- models

    def op_CreateModel(self, bound: dict[str, ast.AST]) -> Output:
        name = self.s(bound, "name")
        table = _dict_entry(bound.get("options"), "db_table", self.scope) or (
            f"{self.app}_{name.lower()}"
        )
        model = Model(table)
        reader = self.fields()
        items = bound["fields"]
        if not isinstance(items, ast.List | ast.Tuple):
            raise Unknown("CreateModel fields that are not a literal list")
        for item in items.elts:
            if not isinstance(item, ast.Tuple) or len(item.elts) != 2:
                raise Unknown(f"the field entry `{ast.unparse(item)}`")
            f = reader.read(self.scope.string(item.elts[0]), item.elts[1])
            model.fields[f.name] = f
        self.state.models[(self.app, name.lower())] = model
        columns = ", ".join(f"{q(f.column)} {f.definition()}" for f in model.fields.values())
        out = Output([f"CREATE TABLE {q(table)} ({columns})"], notes=reader.notes)
        # Django defers every foreign key first, then each field's indexes.
        out.deferred += [_add_foreign_key(table, f) for f in model.fields.values() if f.target]
        out.deferred += [sql for f in model.fields.values() for sql in _indexes(table, f)]
        return out

    def op_DeleteModel(self, bound: dict[str, ast.AST]) -> Output:
        table = self.model(bound, "name").table
        self.state.models.pop((self.app, self.s(bound, "name").lower()), None)
        return Output([f"DROP TABLE {q(table)} CASCADE"])

    def op_RenameModel(self, bound: dict[str, ast.AST]) -> Output:
        old = self.model(bound, "old_name")
        new_name = self.s(bound, "new_name")
        default_table = f"{self.app}_{self.s(bound, 'old_name').lower()}"
        self.state.models.pop((self.app, self.s(bound, "old_name").lower()), None)
        if old.table != default_table:  # a db_table of its own: Django keeps it
            self.state.models[(self.app, new_name.lower())] = old
            return Output()
        new_table = f"{self.app}_{new_name.lower()}"
        self.state.models[(self.app, new_name.lower())] = Model(new_table, old.fields)
        return Output([f"ALTER TABLE {q(old.table)} RENAME TO {q(new_table)}"])

    def op_AlterModelTable(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        new_table = (
            self.scope.value(bound["table"]) or f"{self.app}_{self.s(bound, 'name').lower()}"
        )
        old_table, model.table = model.table, str(new_table)
        return Output([f"ALTER TABLE {q(old_table)} RENAME TO {q(model.table)}"])

    # -- fields

    def op_AddField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        reader = self.fields()
        f = reader.read(self.s(bound, "name"), bound["field"])
        model.fields[f.name] = f
        definition = f.definition()
        out = Output(notes=reader.notes)
        if f.target:
            fk = index_name(model.table, [f.column], f"_fk_{f.target[0]}_{f.target[1]}")
            definition += (
                f" CONSTRAINT {q(fk)} REFERENCES {q(f.target[0])}({q(f.target[1])})"
                " DEFERRABLE INITIALLY DEFERRED"
            )
        out.statements.append(f"ALTER TABLE {q(model.table)} ADD COLUMN {q(f.column)} {definition}")
        if f.target:
            out.statements.append(f"SET CONSTRAINTS {q(fk)} IMMEDIATE")
        if f.default is not None and f.db_default is None:
            out.statements.append(
                f"ALTER TABLE {q(model.table)} ALTER COLUMN {q(f.column)} DROP DEFAULT"
            )
        out.deferred.extend(_indexes(model.table, f))
        return out

    def op_RemoveField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        name = self.s(bound, "name")
        column = self.column_of(model)(name)
        model.fields.pop(name, None)
        return Output([f"ALTER TABLE {q(model.table)} DROP COLUMN {q(column)} CASCADE"])

    def op_RenameField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        old_name, new_name = self.s(bound, "old_name"), self.s(bound, "new_name")
        old = model.fields.pop(old_name, None)
        old_column = old.column if old else old_name
        new_column = new_name
        if old is not None:
            new_column = f"{new_name}_id" if old.kind in _RELATIONS else new_name
            if old.column not in (old_name, f"{old_name}_id"):  # a db_column: unchanged
                new_column = old.column
            old.name, old.column = new_name, new_column
            model.fields[new_name] = old
        if old_column == new_column:
            return Output()
        return Output(
            [f"ALTER TABLE {q(model.table)} RENAME COLUMN {q(old_column)} TO {q(new_column)}"]
        )

    def op_AlterField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        reader = self.fields()
        new = reader.read(self.s(bound, "name"), bound["field"])
        old = model.fields.get(new.name)
        model.fields[new.name] = new
        out = Output(notes=reader.notes)
        table, column = q(model.table), q(new.column)
        prefix = f"ALTER COLUMN {column}"
        if old is None:
            out.notes.append(
                "the field's previous definition is not in the migrations read: pgfence "
                "assumed its type and nullability changed"
            )
            null = "DROP NOT NULL" if new.null else "SET NOT NULL"
            out.statements.append(
                f"ALTER TABLE {table} {prefix} TYPE {new.db_type}, {prefix} {null}"
            )
            return out
        actions = []
        if old.db_type != new.db_type:
            using = f" USING {column}::{new.db_type}" if _base(old) != _base(new) else ""
            actions.append(f"{prefix} TYPE {new.db_type}{using}")
        four_way = old.null and not new.null and new.default is not None
        if old.null != new.null and not four_way:
            actions.append(f"{prefix} {'DROP' if new.null else 'SET'} NOT NULL")
        if four_way:
            out.statements.append(
                f"ALTER TABLE {table} "
                + ", ".join([*actions, f"{prefix} SET DEFAULT {new.default}"])
            )
            out.statements += [
                f"UPDATE {table} SET {column} = {new.default} WHERE {column} IS NULL",
                f"ALTER TABLE {table} {prefix} SET NOT NULL",
                f"ALTER TABLE {table} {prefix} DROP DEFAULT",
            ]
        elif actions:
            out.statements.append(f"ALTER TABLE {table} " + ", ".join(actions))
        if new.unique and not old.unique and not new.primary_key:
            name = index_name(model.table, [new.column], "_uniq")
            out.statements.append(f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} UNIQUE ({column})")
        if new.db_index and not old.db_index and not new.unique:
            out.statements.extend(_indexes(model.table, new))
        if new.target and not old.target:
            out.statements.append(_add_foreign_key(model.table, new))
        return out

    # -- indexes and constraints

    def _index(self, bound: dict[str, ast.AST], concurrently: bool) -> Output:
        model = self.model(bound)
        node = bound["index"]
        if not isinstance(node, ast.Call):
            raise Unknown(f"the index `{ast.unparse(node)}`")
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        if node.args or "fields" not in kwargs:
            raise Unknown("an index on expressions")
        name = self.scope.string(kwargs["name"])
        columns = []
        for entry in self.scope.value(kwargs["fields"]):
            descending = entry.startswith("-")
            columns.append(
                q(self.column_of(model)(entry.lstrip("-"))) + (" DESC" if descending else "")
            )
        using = {
            "GinIndex": " USING gin",
            "GistIndex": " USING gist",
            "BrinIndex": " USING brin",
            "HashIndex": " USING hash",
            "SpGistIndex": " USING spgist",
        }.get(last_name(node), "")
        text = (
            f"CREATE INDEX{' CONCURRENTLY' if concurrently else ''} {q(name)} "
            f"ON {q(model.table)}{using} ({', '.join(columns)})"
        )
        if "condition" in kwargs:
            text += f" WHERE {condition(kwargs['condition'], self.scope, self.column_of(model))}"
        return Output([text])

    def op_AddIndex(self, bound: dict[str, ast.AST]) -> Output:
        return self._index(bound, concurrently=False)

    def op_AddIndexConcurrently(self, bound: dict[str, ast.AST]) -> Output:
        return self._index(bound, concurrently=True)

    def op_RemoveIndex(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"DROP INDEX IF EXISTS {q(self.s(bound, 'name'))}"])

    def op_RemoveIndexConcurrently(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"DROP INDEX CONCURRENTLY IF EXISTS {q(self.s(bound, 'name'))}"])

    def _constraint(self, bound: dict[str, ast.AST], not_valid: bool) -> Output:
        model = self.model(bound)
        node = bound["constraint"]
        if not isinstance(node, ast.Call):
            raise Unknown(f"the constraint `{ast.unparse(node)}`")
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        name = q(self.scope.string(kwargs["name"]))
        table = q(model.table)
        columns = self.column_of(model)
        kind = last_name(node)
        suffix = " NOT VALID" if not_valid else ""
        if kind == "CheckConstraint":
            check = kwargs.get("condition") or kwargs.get("check")
            if check is None:
                raise Unknown("a CheckConstraint without a condition")
            sql = condition(check, self.scope, columns)
            return Output([f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({sql}){suffix}"])
        if kind == "UniqueConstraint" and "fields" in kwargs:
            cols = ", ".join(q(columns(f)) for f in self.scope.value(kwargs["fields"]))
            if "condition" in kwargs:  # a partial unique index, not a constraint
                where = condition(kwargs["condition"], self.scope, columns)
                return Output([f"CREATE UNIQUE INDEX {name} ON {table} ({cols}) WHERE {where}"])
            return Output([f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({cols}){suffix}"])
        raise Unknown(f"a {kind} constraint")

    def op_AddConstraint(self, bound: dict[str, ast.AST]) -> Output:
        return self._constraint(bound, not_valid=False)

    def op_AddConstraintNotValid(self, bound: dict[str, ast.AST]) -> Output:
        return self._constraint(bound, not_valid=True)

    def op_RemoveConstraint(self, bound: dict[str, ast.AST]) -> Output:
        table = q(self.model(bound).table)
        return Output([f"ALTER TABLE {table} DROP CONSTRAINT {q(self.s(bound, 'name'))}"])

    def op_ValidateConstraint(self, bound: dict[str, ast.AST]) -> Output:
        table = q(self.model(bound).table)
        return Output([f"ALTER TABLE {table} VALIDATE CONSTRAINT {q(self.s(bound, 'name'))}"])

    def op_AlterUniqueTogether(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        sets = self.scope.value(bound["unique_together"]) or []
        if sets and isinstance(sets[0], str):
            sets = [sets]
        out = Output()
        for names in sets:
            cols = [self.column_of(model)(n) for n in names]
            name = index_name(model.table, cols, "_uniq")
            quoted = ", ".join(q(c) for c in cols)
            out.statements.append(
                f"ALTER TABLE {q(model.table)} ADD CONSTRAINT {q(name)} UNIQUE ({quoted})"
            )
        if out.statements:
            out.notes.append(
                "unique_together sets removed here are not dropped by pgfence's reading"
            )
        return out


def _dict_entry(node: ast.AST | None, key: str, scope: pyast.Scope) -> str | None:
    """One literal entry of a dict literal whose other values may be anything."""
    if not isinstance(node, ast.Dict):
        return None
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return scope.string(v)
    return None


def _base(f: Field) -> str:
    return f.db_type.split("(", 1)[0]


def _add_foreign_key(table: str, f: Field) -> str:
    assert f.target is not None
    to_table, to_column = f.target
    name = index_name(table, [f.column], f"_fk_{to_table}_{to_column}")
    return (
        f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} FOREIGN KEY ({q(f.column)}) "
        f"REFERENCES {q(to_table)} ({q(to_column)}) DEFERRABLE INITIALLY DEFERRED"
    )


def _indexes(table: str, f: Field) -> list[str]:
    """The indexes Django defers for a db_index field (a second one for LIKE on text)."""
    if f.primary_key or not (f.db_index or f.unique):
        return []
    out = []
    if f.db_index and not f.unique:
        out.append(f"CREATE INDEX {q(index_name(table, [f.column]))} ON {q(table)} ({q(f.column)})")
    if _is_text(f):
        ops = "varchar_pattern_ops" if f.db_type.startswith("varchar") else "text_pattern_ops"
        like = index_name(table, [f.column], "_like")
        out.append(f"CREATE INDEX {q(like)} ON {q(table)} ({q(f.column)} {ops})")
    return out


# ---- one migration file ---------------------------------------------------------------


@dataclass
class DjangoMigration:
    path: str
    app: str
    name: str
    dependencies: list[tuple[str, str]]
    cls: ast.ClassDef | None
    module: ast.Module | None
    text: str
    error: object = None


def read_file(path: str, ctx: LoadContext) -> DjangoMigration:
    text = ctx.read(path)
    file = Path(path)
    app = file.parent.parent.name if file.parent.name == "migrations" else file.parent.name
    module, error = pyast.parse_python(text, path)
    cls = None
    dependencies: list[tuple[str, str]] = []
    if module is not None:
        cls = next(
            (n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
        )
        for item in _class_value(cls, "dependencies"):
            if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                try:
                    dependencies.append(
                        (
                            str(pyast.Scope().value(item.elts[0])),
                            str(pyast.Scope().value(item.elts[1])),
                        )
                    )
                except Unknown:
                    continue
    return DjangoMigration(path, app, file.stem, dependencies, cls, module, text, error)


def _class_value(cls: ast.ClassDef | None, name: str) -> list[ast.expr]:
    if cls is None:
        return []
    for statement in cls.body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
            and isinstance(statement.value, ast.List | ast.Tuple)
        ):
            return list(statement.value.elts)
    return []


def _atomic(cls: ast.ClassDef | None) -> bool:
    if cls is None:
        return True
    for statement in cls.body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "atomic" for t in statement.targets)
            and isinstance(statement.value, ast.Constant)
        ):
            return bool(statement.value.value)
    return True


def order(migrations: list[DjangoMigration]) -> list[DjangoMigration]:
    """Dependencies first; ties by app and file name."""
    return pyast.dependency_order(
        sorted(migrations, key=lambda m: (natural_key(m.app), natural_key(m.name))),
        key=lambda m: (m.app, m.name),
        needs=lambda m: m.dependencies,
    )


class _Walker:
    def __init__(self, migration: DjangoMigration, state: State, ctx: LoadContext) -> None:
        self.migration = migration
        self.out = Extraction(migration.path)
        self.lines = migration.text.splitlines()
        self.scope = pyast.Scope()
        self.translator = Translator(migration.app, self.scope, state)
        self.transaction = ctx.runner_transaction() if _atomic(migration.cls) else AUTOCOMMIT
        self.deferred: list[tuple[str, Location, str]] = []

    def run(self) -> Extraction:
        assert self.migration.module is not None
        self.scope.learn(self.migration.module.body)
        if self.migration.cls is None:
            self.out.gap(Location(self.migration.path, 1, 1), "no `class Migration` in this file")
            return self.out
        self.operations(_class_value(self.migration.cls, "operations"), emit=True)
        for sql, where, origin in self.deferred:
            self.out.add([generated(sql, where, self.transaction, origin, budget=self.out.budget)])
        return self.out

    def operations(self, nodes: list[ast.expr], *, emit: bool) -> None:
        for node in nodes:
            self.operation(node, emit=emit)

    def operation(self, node: ast.expr, *, emit: bool) -> None:
        where = pyast.location(self.migration.path, node)
        kind = last_name(node) if isinstance(node, ast.Call) else ""
        if not isinstance(node, ast.Call):
            self.out.calls_seen += emit
            if emit:
                self.out.gap(
                    where, f"`{ast.unparse(node)[:60]}` is not an operation pgfence can read"
                )
            return
        origin = f"migrations.{kind}"
        if kind in _STATE_ONLY:
            return
        if kind == "SeparateDatabaseAndState":
            bound = bind(node, ["database_operations", "state_operations"])
            for key, emits in (("state_operations", False), ("database_operations", True)):
                value = bound.get(key)
                if isinstance(value, ast.List | ast.Tuple):
                    self.operations(list(value.elts), emit=emit and emits)
            return

        def translate() -> None:
            if kind == "RunPython":
                raise Unknown(
                    "RunPython runs Python code (a data migration?) that pgfence does not run"
                )
            if kind == "RunSQL":
                self.run_sql(node, where, origin, emit)
            else:
                bound = bind(node, _SIGNATURES.get(kind, []))
                output = self.translator.translate(kind, bound)
                if emit:
                    self.emit(output, where, origin, node)

        if emit:
            self.out.extract(where, origin, translate)
        else:  # state_operations: translated for the models they define, never emitted
            with contextlib.suppress(*UNREADABLE):
                translate()

    def emit(self, output: Output, where: Location, origin: str, node: ast.Call) -> None:
        ignored = ignores_at(self.lines, where.line, "#", node.end_lineno)
        self.out.add(
            [
                generated(sql, where, self.transaction, origin, ignored, self.out.budget)
                for sql in output.statements
            ]
        )
        self.deferred.extend((sql, where, origin) for sql in output.deferred)
        self.out.findings.extend(
            info(checks.DjangoAssumption, where, note) for note in output.notes
        )

    def run_sql(self, node: ast.Call, where: Location, origin: str, emit: bool) -> None:
        bound = bind(node, ["sql", "reverse_sql"])
        value = self.scope.value(bound["sql"])
        items = value if isinstance(value, list) else [value]
        texts = [
            _with_params(str(item[0]), item[1]) if isinstance(item, list | tuple) else item
            for item in items
        ]
        if not emit:
            return
        ignored = ignores_at(self.lines, where.line, "#", node.end_lineno)
        for text in texts:
            statements, findings = raw_statements(
                str(text), where, self.transaction, origin, ignored, self.out.budget
            )
            self.out.add(statements, findings)


_PARAM = re.compile(r"%\((\w+)\)s|%s|%%")


def _with_params(sql: str, params: object) -> str:
    """RunSQL's (sql, params): the statement as the database gets it, psycopg-style (%s,
    %(name)s, %% for %), with the parameters written as SQL literals."""
    if params is None:
        return sql
    if not isinstance(params, list | tuple | dict):
        raise Unknown("RunSQL parameters that are not a list or a dict")
    positional = iter(params) if not isinstance(params, dict) else iter(())

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        try:
            if match.group(1) is not None:
                if not isinstance(params, dict):
                    raise Unknown("named RunSQL parameters without a dict")
                return sql_literal(params[match.group(1)])
            return sql_literal(next(positional))
        except (KeyError, StopIteration):
            raise Unknown("RunSQL parameters that do not match its placeholders") from None

    return _PARAM.sub(replace, sql)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    found = (
        list(target.files) if target.explicit_file else files_containing(target, (".py",), _MARKER)
    )
    if not found:
        raise no_files(target, "Django", "<app>/migrations/NNNN_name.py")
    state = State()
    migrations = []
    for migration in order([read_file(path, ctx) for path in found]):
        if migration.module is None:
            migrations.append(Migration(migration.path, NAME, (), (migration.error,)))  # type: ignore[arg-type]
            continue
        migrations.append(_Walker(migration, state, ctx).run().migration(NAME))
    return migrations
