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
import copy
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pgfence.errors import BadInput
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
    with_placeholders,
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
    # django.contrib.postgres
    "IntegerRangeField": "int4range",
    "BigIntegerRangeField": "int8range",
    "DecimalRangeField": "numrange",
    "DateRangeField": "daterange",
    "DateTimeRangeField": "tstzrange",
    "SearchVectorField": "tsvector",
    "HStoreField": "hstore",
    "CICharField": "citext",
    "CIEmailField": "citext",
    "CITextField": "citext",
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
_TEXTUAL = {"CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField"}
# Field classes of other packages that add no column (taggit's manager is a relation
# through a table of its own).
_NO_COLUMN = {"TaggableManager", "GenericRelation", "GenericForeignKey"}

# Models of django.contrib that migrations point at: (table, pk column, FK column type).
_CONTRIB: dict[tuple[str, str], tuple[str, str, str]] = {
    ("auth", "user"): ("auth_user", "id", "integer"),
    ("auth", "group"): ("auth_group", "id", "integer"),
    ("auth", "permission"): ("auth_permission", "id", "integer"),
    ("contenttypes", "contenttype"): ("django_content_type", "id", "integer"),
    ("admin", "logentry"): ("django_admin_log", "id", "integer"),
    ("sites", "site"): ("django_site", "id", "integer"),
    ("sessions", "session"): ("django_session", "session_key", "varchar(40)"),
    ("flatpages", "flatpage"): ("django_flatpage", "id", "integer"),
    ("redirects", "redirect"): ("django_redirect", "id", "integer"),
}


def truncate_name(identifier: str, length: int = _MAX_NAME, hash_len: int = 4) -> str:
    """django.db.backends.utils.truncate_name: long names keep a hash of the whole."""
    if len(identifier) <= length:
        return identifier
    return identifier[: length - hash_len] + names_digest(identifier, length=hash_len)


def pg_object_name(name1: str, name2: str, label: str) -> str:
    """PostgreSQL's makeObjectName: the name it gives an inline constraint or index,
    `name1_name2_label` with the longer part shortened first to fit 63 bytes."""
    available = _MAX_NAME - len(label) - 2
    one, two = len(name1), len(name2)
    while one + two > available:
        if one > two:
            one -= 1
        else:
            two -= 1
    return f"{name1[:one]}_{name2[:two]}_{label}"


def default_table(app: str, model: str) -> str:
    return truncate_name(f"{app}_{model.lower()}")


@dataclass
class ManyToMany:
    """A ManyToManyField: Django creates the table between the two models itself."""

    to: tuple[str, str]  # (app, model) of the other side
    table: str | None  # db_table=…
    through: bool  # a through= model of the user's: no table of Django's
    db_constraint: bool = True
    made: Model | None = None  # the table Django made for it, once made


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
    db_default_is_expression: bool = False
    target: tuple[str, str] | None = None  # (table, column) a foreign key points at
    points_at: tuple[str, str] | None = None  # (app, model) of a relation
    db_constraint: bool = True
    check: str | None = None  # the CHECK of positive integer fields
    comment: str | None = None
    template: str = ""  # Django's data-type template: a change of it casts with USING
    m2m: ManyToMany | None = None
    has_column: bool = True
    # The name of the field's UNIQUE constraint once it exists: PostgreSQL's own
    # (`<table>_<column>_key`) when it came inline with the column, Django's when AlterField
    # added it. Django finds it by introspection; pgfence by remembering.
    unique_constraint: str | None = None
    check_constraint: str | None = None  # the same for the CHECK of positive integers
    fk_constraint: str | None = None  # the FOREIGN KEY's name as created (tables get renamed)
    # What Field.cast_db_type() gives (Cast(…, output_field=it), bulk_update's CASE); None
    # when pgfence cannot tell (a project class with its own cast_db_type(), a guessed type)
    cast_type: str | None = None

    @property
    def fk(self) -> tuple[str, str] | None:
        """The (table, column) of the FOREIGN KEY constraint Django creates, if any."""
        return self.target if self.db_constraint else None

    @property
    def is_unique(self) -> bool:
        return self.unique or self.primary_key

    def definition(self, include_default: bool = True) -> str:
        text = self.db_type
        if self.db_default is not None:
            text += f" DEFAULT {self.db_default}"
        elif include_default and self.default is not None:
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

    def db_signature(self) -> tuple[object, ...]:
        """What Django compares to decide a field's schema changed (not its name)."""
        return (
            self.kind,
            self.db_type,
            self.column,
            self.null,
            self.primary_key,
            self.unique,
            self.db_index,
            self.default,
            self.db_default,
            self.target,
            self.db_constraint,
        )


@dataclass(frozen=True)
class Ordering:
    """One entry of Meta.ordering: `-name`, or `F('x')`/`OrderBy(F('x'), …)` (an
    expression: the field's own column, never the related model's ordering)."""

    name: str
    descending: bool = False
    nulls: str = ""  # " NULLS FIRST" / " NULLS LAST"
    expression: bool = False


@dataclass
class Model:
    table: str
    fields: dict[str, Field] = field(default_factory=dict)
    unique_together: list[tuple[str, ...]] = field(default_factory=list)  # column tuples
    # Meta constraints Django makes as a unique index (condition, include, expressions,
    # opclasses): RemoveConstraint drops those with DROP INDEX.
    index_constraints: set[str] = field(default_factory=set)
    managed: bool = True  # False for `managed: False` and proxy models: Django makes no SQL
    order_with_respect_to: str | None = None
    # Meta.ordering (the ORDER BY of its querysets' SELECTs); None: not known statically
    ordering: tuple[Ordering, ...] | None = ()
    # A manager of the state (use_in_migrations) that is not Django's own Manager(), as
    # written: its get_queryset() may filter or order what `Model.objects` reads
    custom_manager: str | None = None

    def pk(self) -> Field | None:
        return next((f for f in self.fields.values() if f.primary_key), None)

    def columns(self) -> list[Field]:
        return [f for f in self.fields.values() if f.has_column]


class State:
    """Tables and columns of every model seen so far, walking migrations in order."""

    def __init__(self, user_app: str | None = None, classes: FieldClasses | None = None) -> None:
        self.models: dict[tuple[str, str], Model] = {}
        self.user_app = user_app  # the app that creates AUTH_USER_MODEL, if one does
        self.classes = classes  # the project's own field classes, read from its source

    def table(self, app: str, model: str) -> str:
        found = self.models.get((app, model.lower()))
        if found:
            return found.table
        contrib = _CONTRIB.get((app, model.lower()))
        return contrib[0] if contrib else default_table(app, model)

    def model(self, app: str, model: str) -> Model:
        return self.models.setdefault((app, model.lower()), Model(self.table(app, model)))

    def key(self, app: str, reference: str) -> tuple[str, str]:
        if reference == "auth.User":
            return ("auth", "user")
        target_app, _, model = reference.rpartition(".")
        return (target_app or app, model.lower())

    def target(
        self, key: tuple[str, str], to_field: str | None = None, current: Model | None = None
    ) -> tuple[str, str, str, bool]:
        """(table, column, column type, known) of the model a foreign key points at."""
        found = current if current is not None else self.models.get(key)
        if found is not None:
            pointed = found.fields.get(to_field) if to_field else found.pk()
            if pointed is not None:
                return found.table, pointed.column, _rel_type(pointed), True
        if key in _CONTRIB and to_field in (None, _CONTRIB[key][1]):
            table, column, kind = _CONTRIB[key]
            return table, column, kind, True
        table = found.table if found is not None else self.table(*key)
        return table, to_field or "id", "bigint", False


def _rel_type(pk: Field) -> str:
    """The column type of a foreign key to `pk` (Field.rel_db_type)."""
    return {"AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint"}.get(
        pk.kind, pk.db_type
    )


def _known_kind(kind: str) -> str | None:
    """A field class pgfence knows, or the one a subclass is most likely named after
    (`TreeForeignKey` -> ForeignKey, `NaturalOrderingField`: none)."""
    known = (*_TYPES, *_RELATIONS, "ManyToManyField", "ArrayField")
    if kind in known:
        return kind
    candidates = [k for k in known if kind.endswith(k)]
    return max(candidates, key=len) if candidates else None


class FieldReader:
    def __init__(
        self,
        scope: pyast.Scope,
        state: State,
        app: str,
        current: tuple[str, Model] | None = None,
        resolve: Callable[[str], FieldClass | None] | None = None,
    ) -> None:
        self.scope = scope
        self.state = state
        self.app = app
        self.current = current  # (model name, Model) of a CreateModel being read
        self.resolve = resolve  # a field class of the project, by its dotted name
        self.notes: list[str] = []

    def read(self, name: str, node: ast.AST) -> Field:
        if not isinstance(node, ast.Call):
            raise Unknown(f"the field `{ast.unparse(node)}`")
        written = last_name(node)
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        value = self._kwarg(kwargs)
        if written in _NO_COLUMN:
            self.notes.append(f"`{name}` is a {written}: no column of this table")
            return Field(name, name, written, "", has_column=False)
        kind = written if _known_kind(written) == written else None
        notes = len(self.notes)
        project = self.resolve(pyast.dotted(node.func)) if kind is None and self.resolve else None
        if project is not None:
            kind = project.kind
            kwargs |= dict(project.forced)
            if project.computed_type:
                self.notes.append(
                    f"`{name}` is a {written} whose db_type() computes the column type: "
                    f"pgfence took {kind or 'text'}'s"
                )
            if kind is None and project.db_type is None:
                kind = "TextField"
        if kind is None and (project is None or project.db_type is None):
            kind = _known_kind(written)
            if kind is not None:
                why = "as its name says"
            elif "max_length" in kwargs:
                kind, why = "CharField", "as it has a max_length"
            else:
                # Its column exists all the same: a later migration alters or drops it.
                kind, why = "TextField", "its class was not found beside the migrations"
            self.notes.append(f"`{name}` is a {written}: pgfence took it to be a {kind}, {why}")
        guessed = len(self.notes) > notes  # a kind pgfence took, or a computed db_type()
        if kind in _RELATIONS:
            return self._relation(name, kind, node, kwargs)
        if kind == "ManyToManyField":
            return self._many_to_many(name, node, kwargs)
        column = str(value("db_column", None) or name)
        if project is not None and project.db_type is not None:
            db_type = template = project.db_type
            kind = kind or "Field"
        else:
            assert kind is not None
            db_type, template = self._type(kind, node, kwargs)
        cast_type: str | None = db_type  # Field.cast_db_type(): db_type() on PostgreSQL …
        if kind == "CharField" and value("max_length", None) is None:
            cast_type = "varchar"  # … but CharField's without max_length
        if guessed or (project is not None and project.custom_cast):
            cast_type = None
        f = Field(
            name=name,
            column=column,
            kind=kind,
            db_type=db_type,
            template=template,
            cast_type=cast_type,
            null=bool(value("null", False)),
            primary_key=bool(value("primary_key", False)),
            unique=bool(value("unique", False)),
            db_index=bool(value("db_index", kind in _INDEXED_BY_DEFAULT)),
            check=f"{q(column)} >= 0" if kind in _POSITIVE else None,
            comment=self._comment(kwargs),
        )
        f.db_default, f.db_default_is_expression = self._db_default(kwargs)
        f.default = self._default(kwargs, f, bool(value("blank", False)))
        return f

    def _type(self, kind: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> tuple[str, str]:
        """(column type, Django's type template) of a non-relation field."""
        if kind == "ArrayField":
            base_node = node.args[0] if node.args else kwargs.get("base_field")
            if base_node is None:
                raise Unknown("an ArrayField without base_field")
            base = FieldReader(self.scope, self.state, self.app).read("base", base_node)
            size = self.scope.value(kwargs["size"]) if "size" in kwargs else None
            return f"{base.db_type}[{size or ''}]", f"{base.template}[]"
        value = self._kwarg(kwargs)
        params = {
            "max_length": value("max_length", _DEFAULT_LENGTHS.get(kind)),
            "max_digits": value("max_digits", None),
            "decimal_places": value("decimal_places", None),
        }
        if kind == "CharField" and params["max_length"] is None:
            return "varchar", "varchar"  # Django 4.2+: an unlimited CharField on PostgreSQL
        return _TYPES[kind].format(**params), _TYPES[kind]

    def _kwarg(self, kwargs: dict[str, ast.expr]) -> Callable[[str, object], object]:
        def value(key: str, default: object) -> object:
            return self.scope.value(kwargs[key]) if key in kwargs else default

        return value

    def _comment(self, kwargs: dict[str, ast.expr]) -> str | None:
        if "db_comment" not in kwargs:
            return None
        comment = self.scope.value(kwargs["db_comment"])
        return None if comment is None else str(comment)

    def _reference(self, kind: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> str:
        to_node = node.args[0] if node.args else kwargs.get("to")
        if to_node is None:
            raise Unknown(f"a {kind} without `to`")
        if pyast.dotted(to_node).endswith("AUTH_USER_MODEL"):
            if self.state.user_app is not None:
                reference = f"{self.state.user_app}.User"
                self.notes.append(
                    f"settings.AUTH_USER_MODEL was taken to be {reference}, the user model "
                    "these migrations create"
                )
                return reference
            self.notes.append("settings.AUTH_USER_MODEL was taken to be auth.User")
            return "auth.User"
        return str(self.scope.value(to_node))

    def _relation(self, name: str, kind: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> Field:
        reference = self._reference(kind, node, kwargs)
        value = self._kwarg(kwargs)
        current = None
        if reference == "self" and self.current is not None:
            key, current = (self.app, self.current[0].lower()), self.current[1]
        else:
            key = self.state.key(self.app, reference)
            if self.current is not None and key == (self.app, self.current[0].lower()):
                current = self.current[1]
        to_field = value("to_field", None)
        table, column, rel_type, known = self.state.target(
            key, str(to_field) if to_field else None, current
        )
        if not known:
            self.notes.append(
                f"`{reference}` is not a model of the migrations read: pgfence took its "
                f"key to be a bigint `{column}` of `{table}`"
            )
        primary_key = bool(value("primary_key", False))
        return Field(
            name=name,
            column=str(value("db_column", None) or f"{name}_id"),
            kind=kind,
            db_type=rel_type,
            template=rel_type,
            cast_type=rel_type if known else None,  # the target field's cast_db_type()
            null=bool(value("null", False)),
            primary_key=primary_key,
            unique=not primary_key and (kind == "OneToOneField" or bool(value("unique", False))),
            db_index=bool(value("db_index", True)),
            target=(table, column),
            points_at=key,
            db_constraint=bool(value("db_constraint", True)),
            comment=self._comment(kwargs),
        )

    def _many_to_many(self, name: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> Field:
        reference = self._reference("ManyToManyField", node, kwargs)
        value = self._kwarg(kwargs)
        if reference == "self" and self.current is not None:
            key = (self.app, self.current[0].lower())
        else:
            key = self.state.key(self.app, reference)
        table = value("db_table", None)
        m2m = ManyToMany(
            to=key,
            table=str(table) if table else None,
            through="through" in kwargs,
            db_constraint=bool(value("db_constraint", True)),
        )
        return Field(name, name, "ManyToManyField", "", m2m=m2m, has_column=False)

    def _default(self, kwargs: dict[str, ast.expr], f: Field, blank: bool) -> str | None:
        """BaseDatabaseSchemaEditor._effective_default, as an SQL literal."""
        if "default" not in kwargs:
            if not f.null and blank and f.kind in _TEXTUAL:
                return "''"
            if f.kind == "BinaryField" and not f.null and blank:
                return "'\\x'::bytea"
            if any(k in kwargs for k in ("auto_now", "auto_now_add")) and f.kind in (
                "DateTimeField",
                "DateField",
                "TimeField",
            ):
                self.notes.append(
                    f"`{f.name}` gets the time of the migration as a default: pgfence used "
                    "a constant"
                )
                return _constant_of(f)
            return None
        node = kwargs["default"]
        if isinstance(node, ast.Name | ast.Attribute) and pyast.dotted(node) in ("dict", "list"):
            if f.kind == "JSONField":
                return "'{}'::jsonb" if pyast.dotted(node) == "dict" else "'[]'::jsonb"
            if f.db_type.endswith("]") and pyast.dotted(node) == "list":
                return "'{}'"
        try:
            constant = self.scope.value(node)
        except Unknown:
            # A callable (timezone.now, uuid.uuid4): Django calls it once while migrating,
            # so the column gets a constant default either way.
            self.notes.append(
                f"the default `{ast.unparse(node)}` is evaluated once by Django: "
                "pgfence used a constant of the column's type"
            )
            return _constant_of(f)
        if constant is None:
            return None
        if f.kind == "JSONField":
            return f"{literal(json.dumps(constant))}::jsonb"
        return adapt(f, constant)

    def _db_default(self, kwargs: dict[str, ast.expr]) -> tuple[str | None, bool]:
        if "db_default" not in kwargs:
            return None, False
        node = kwargs["db_default"]
        if isinstance(node, ast.Call) and last_name(node) == "Now":
            return "STATEMENT_TIMESTAMP()", True
        if isinstance(node, ast.Call):
            return expression(node, self.scope, lambda c: c), True
        return literal(self.scope.value(node)), False


def adapt(f: Field | None, value: object) -> str:
    """A Python value as Django binds it for a column of `f`'s type."""
    if f is not None and not isinstance(value, bool | type(None)):
        if f.kind == "FloatField" and isinstance(value, int):
            return repr(float(value))
        if f.kind == "DecimalField" and isinstance(value, int | float):
            return f"'{value}'::numeric"
        casts = {
            "DateField": "date",
            "DateTimeField": "timestamptz",
            "TimeField": "time",
            "UUIDField": "uuid",
        }
        if f.kind in casts and isinstance(value, str):
            return f"{literal(value)}::{casts[f.kind]}"
    return literal(value)


def _constant_of(f: Field) -> str:
    kind = f.kind
    if f.db_type.endswith("]"):
        return "'{}'"
    if f.db_type in ("int4range", "int8range", "numrange", "daterange", "tstzrange"):
        return "'empty'"
    if kind in ("DateTimeField", "DateField"):
        return "'2000-01-01'"
    if kind == "TimeField":
        return "'00:00'"
    if kind == "UUIDField":
        return "'00000000-0000-0000-0000-000000000000'"
    if kind in _TEXTUAL:
        return "''"
    if kind == "JSONField":
        return "'{}'"
    if kind == "BooleanField":
        return "false"
    return "0"


def _is_text(f: Field) -> bool:
    return (f.db_type.startswith("varchar") or f.db_type == "text") and "[" not in f.db_type


# ---- the project's own field classes ------------------------------------------------------


@dataclass(frozen=True)
class FieldClass:
    kind: str | None  # the Django field class it derives from, if one is known
    db_type: str | None  # what its db_type() returns, when that is a constant
    computed_type: bool = False  # a db_type() that computes its answer: not known
    # `kwargs["base_field"] = ArrayField(...)` in its __init__: arguments it always passes
    forced: tuple[tuple[str, ast.expr], ...] = ()
    # A cast_db_type() or get_placeholder(), or a get_internal_type() naming an auto field or
    # computing its answer, in the class or one it derives from: the type Cast(…,
    # output_field=it) writes, or how a value of it is bound, is not known
    custom_cast: bool = False


class FieldClasses:
    """Field classes of the project (`ipam.fields.ASNField`), read from its source beside
    the migrations, never imported: the Django class each derives from and the column
    type a `db_type()` that returns a constant gives."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.modules: dict[str, ast.Module | None] = {}

    def resolve(self, dotted: str, migration_path: str, depth: int = 0) -> FieldClass | None:
        located = self._class(dotted, migration_path, depth)
        if located is None:
            return None
        module_name, module, cls = located
        db_type = _constant_return(cls, "db_type")
        computed = db_type is None and any(
            isinstance(n, ast.FunctionDef) and n.name == "db_type" for n in cls.body
        )
        methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        internal = _constant_return(cls, "get_internal_type")
        custom = bool({"cast_db_type", "get_placeholder"} & methods) or (
            "get_internal_type" in methods and (internal is None or internal in _AUTO)
        )
        imports = _imports(module, module_name)
        forced = _forced_kwargs(cls)
        for base in cls.bases:
            name = last_name(base)
            if name in _TYPES or name in _RELATIONS or name == "ArrayField":
                return FieldClass(name, db_type, computed, forced, custom)
            found = self.resolve(_qualified(base, imports, module_name), migration_path, depth + 1)
            if found is not None:
                if db_type or computed or forced or custom:
                    return FieldClass(
                        found.kind,
                        db_type or found.db_type,
                        computed,
                        found.forced + forced,
                        custom or found.custom_cast,
                    )
                return found
        if db_type or computed or custom:
            return FieldClass(None, db_type, computed, custom_cast=custom)
        return None

    def _class(
        self, dotted: str, migration_path: str, depth: int
    ) -> tuple[str, ast.Module, ast.ClassDef] | None:
        """The module and the class `dotted` names, read from the project's source (None
        past six bases deep, or where it is not found)."""
        module_name, _, class_name = dotted.rpartition(".")
        if not module_name or depth > 6:
            return None
        module = self._module(module_name, migration_path)
        if module is None:
            return None
        cls = next(
            (n for n in module.body if isinstance(n, ast.ClassDef) and n.name == class_name),
            None,
        )
        return None if cls is None else (module_name, module, cls)

    def function(self, dotted: str, migration_path: str) -> tuple[str, int | None] | None:
        """The template (`%(function)s` filled in) and arity of a Func or Transform of the
        project (`ipam.lookups.Host`: `HOST(%(expressions)s)`, 1), when its classes only set
        constants Django's Func renders: `function`, `template`, `arg_joiner` (`, ` only),
        `arity`, `lookup_name`; None for anything else (a method such as as_sql may write
        other SQL)."""
        values = self._func_values(dotted, migration_path)
        if values is None or values.get("arg_joiner", ", ") != ", ":
            return None
        template, function, arity = values["template"], values.get("function"), values["arity"]
        if not isinstance(template, str) or (arity is not None and not isinstance(arity, int)):
            return None
        if "%(function)s" in template:
            if not isinstance(function, str):
                return None
            template = template.replace("%(function)s", function)
        if re.search(r"%(?!\(expressions\)s)", template):
            return None  # another placeholder, or `%%`
        return template, arity

    def _func_values(
        self, dotted: str, migration_path: str, depth: int = 0
    ) -> dict[str, object] | None:
        found = self._class(dotted, migration_path, depth)
        if found is None:
            return None
        module_name, module, cls = found
        if cls.keywords or cls.decorator_list or len(cls.bases) != 1:
            return None
        values: dict[str, object] = {}
        for index, node in enumerate(cls.body):
            if (index == 0 and _is_docstring(node)) or isinstance(node, ast.Pass):
                continue
            if not (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in _FUNC_ATTRIBUTES
                and isinstance(node.value, ast.Constant)
            ):
                return None
            values[node.targets[0].id] = node.value.value
        base = _qualified(cls.bases[0], _imports(module, module_name), module_name)
        if base in _DJANGO_FUNCS:
            inherited: dict[str, object] | None = {
                "template": "%(function)s(%(expressions)s)",
                "arity": 1 if base.endswith("Transform") else None,
            }
        else:
            inherited = self._func_values(base, migration_path, depth + 1)
        return None if inherited is None else inherited | values

    def _module(self, name: str, migration_path: str) -> ast.Module | None:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = None
        parts = name.split(".")
        # The app's folder, the project's, and two above (a monorepo's `backend/`).
        for root in list(Path(migration_path).resolve().parents)[1:5]:
            for candidate in (
                root.joinpath(*parts).with_suffix(".py"),
                root.joinpath(*parts, "__init__.py"),
            ):
                if candidate.is_file():
                    unreadable = (BadInput, OSError, SyntaxError, ValueError, RecursionError)
                    with contextlib.suppress(*unreadable):
                        self.modules[name] = ast.parse(self.ctx.read(str(candidate)))
                    return self.modules[name]
        return None


_FUNC_ATTRIBUTES = frozenset({"function", "template", "arg_joiner", "arity", "lookup_name"})
# Django's own Func and Transform, as a project's classes import them.
_DJANGO_FUNCS = frozenset(
    {
        "django.db.models.Func",
        "django.db.models.Transform",
        "django.db.models.expressions.Func",
        "django.db.models.lookups.Transform",
    }
)


def _qualified(base: ast.expr, imports: dict[str, str], module_name: str) -> str:
    """A class named in `module_name` (a base class), as its dotted name."""
    written = pyast.dotted(base)
    head = written.split(".")[0]
    target = imports.get(head)
    return f"{target}{written[len(head) :]}" if target else f"{module_name}.{written}"


def _forced_kwargs(cls: ast.ClassDef) -> tuple[tuple[str, ast.expr], ...]:
    """`kwargs["name"] = <expression>` directly in the class's __init__ (netbox's
    ChoiceSetField sets its ArrayField's base_field so)."""
    out = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(target := statement.targets[0], ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "kwargs"
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                ):
                    out.append((target.slice.value, statement.value))
    return tuple(out)


def _constant_return(cls: ast.ClassDef, method: str) -> str | None:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == method:
            body = [n for n in node.body if not isinstance(n, ast.Expr)]  # a docstring
            if (
                len(body) == 1
                and isinstance(body[0], ast.Return)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                return body[0].value.value
    return None


def _imports(module: ast.Module, module_name: str) -> dict[str, str]:
    """Local name -> dotted name, for a module's imports (relative ones included)."""
    out = {}
    package = module_name.rpartition(".")[0]
    for node in module.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                out[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return out


# ---- expressions and Q objects ----------------------------------------------------------

_LOOKUPS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_FUNCTIONS = {
    "Lower": "LOWER",
    "Upper": "UPPER",
    "Length": "LENGTH",
    "Abs": "ABS",
    "Coalesce": "COALESCE",
    "Trim": "TRIM",
    "Now": "STATEMENT_TIMESTAMP",
}


def expression(
    node: ast.AST,
    scope: pyast.Scope,
    columns: Callable[[str], str],
    project: Translator | None = None,
) -> str:
    """An index or default expression (F, Lower, …, Cast, a Func of the project, .desc()) as
    SQL; others are Unknown. `project` reads the project's field and Func classes."""

    def inner(arg: ast.AST) -> str:
        return expression(arg, scope, columns, project)

    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("desc", "asc")
        and not node.args
    ):
        return f"{inner(node.func.value)}{_ordering(node, scope)}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return q(columns(node.value))
    if not isinstance(node, ast.Call):
        raise Unknown(f"the expression `{ast.unparse(node)}`")
    name = last_name(node)
    if name == "F" and node.args:
        return q(columns(scope.string(node.args[0])))
    if name == "Value" and node.args:
        return literal(scope.value(node.args[0]))
    if name == "OpClass" and node.args:
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        return f"{inner(node.args[0])} {scope.string(kwargs['name'])}"
    if name == "Collate" and len(node.args) == 2:
        return f"{inner(node.args[0])} COLLATE {q(scope.string(node.args[1]))}"
    if name in _FUNCTIONS and not node.keywords:
        args = ", ".join(inner(a) for a in node.args)
        return f"{_FUNCTIONS[name]}({args})"
    if name == "Cast" and project is not None:
        bound = bind(node, ["expression", "output_field"])
        if set(bound) == {"expression", "output_field"}:
            # Cast.as_postgresql: `(expression)::type`, the type Field.cast_db_type() gives
            return f"({inner(bound['expression'])})::{project.cast_type(bound['output_field'])}"
    found = project.function(pyast.dotted(node.func)) if project is not None else None
    if found is not None and all(k.arg == "output_field" for k in node.keywords):
        template, arity = found
        if arity is None or arity == len(node.args):
            return template.replace("%(expressions)s", ", ".join(inner(a) for a in node.args))
    raise Unknown(f"the expression `{ast.unparse(node)}`")


def _ordering(node: ast.Call, scope: pyast.Scope) -> str:
    """`.desc()` / `.asc(nulls_last=True)`: OrderBy's words on PostgreSQL."""
    assert isinstance(node.func, ast.Attribute)
    text = f" {node.func.attr.upper()}"
    for keyword in node.keywords:
        if keyword.arg not in ("nulls_first", "nulls_last"):
            raise Unknown(f"the expression `{ast.unparse(node)}`")
        value = scope.value(keyword.value)
        if value is True:
            text += " NULLS FIRST" if keyword.arg == "nulls_first" else " NULLS LAST"
        elif value not in (None, False):
            raise Unknown(f"the expression `{ast.unparse(node)}`")
    return text


def index_expression(
    node: ast.AST,
    scope: pyast.Scope,
    columns: Callable[[str], str],
    project: Translator | None = None,
) -> str:
    """An expression of Index(*expressions) or UniqueConstraint(*expressions) as Django's
    IndexExpression writes it: `.desc()`/`.asc()` and Collate outermost (in that order), the
    rest in parentheses unless it is a column (F('x'), 'x')."""
    ordering = collate = ""
    while isinstance(node, ast.Call):
        if (
            not ordering
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("desc", "asc")
            and not node.args
        ):
            ordering = _ordering(node, scope)
            node = node.func.value
        elif not collate and last_name(node) == "Collate" and len(node.args) == 2:
            collate = f" COLLATE {q(scope.string(node.args[1]))}"
            node = node.args[0]
        else:
            break
    text = expression(node, scope, columns, project)
    column = (isinstance(node, ast.Constant) and isinstance(node.value, str)) or (
        isinstance(node, ast.Call) and last_name(node) == "F" and bool(node.args)
    )
    return f"{text if column else f'({text})'}{collate}{ordering}"


def condition(
    node: ast.AST,
    scope: pyast.Scope,
    columns: Callable[[str], str],
    model: Model | None = None,
    table: str | None = None,
) -> str:
    """A Q(...) (keyword or tuple children, _connector, _negated, &, |, ~) as SQL; lookups
    other than comparisons, IN and IS NULL are Unknown. `table`: columns written qualified
    with it, as a queryset's WHERE has them (a constraint's condition has them bare)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        word = "AND" if isinstance(node.op, ast.BitAnd) else "OR"
        left = condition(node.left, scope, columns, model, table)
        return f"({left} {word} {condition(node.right, scope, columns, model, table)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return f"NOT ({condition(node.operand, scope, columns, model, table)})"
    if isinstance(node, ast.Call) and last_name(node) == "Q":
        parts = []
        connector, negated = "AND", False
        for arg in node.args:
            if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
                key = scope.string(arg.elts[0])
                parts.append(_lookup(key, arg.elts[1], scope, columns, model, table))
            else:
                parts.append(condition(arg, scope, columns, model, table))
        # Q(*args, **kwargs): its children are the args, then the kwargs sorted by name
        for keyword in sorted(node.keywords, key=lambda k: k.arg or ""):
            if keyword.arg == "_connector":
                connector = str(scope.value(keyword.value))
            elif keyword.arg == "_negated":
                negated = bool(scope.value(keyword.value))
            elif keyword.arg is None:
                raise Unknown(f"`{ast.unparse(node)}`")
            else:
                parts.append(_lookup(keyword.arg, keyword.value, scope, columns, model, table))
        if connector not in ("AND", "OR", "XOR") or not parts:
            raise Unknown(f"`{ast.unparse(node)}`")
        text = parts[0] if len(parts) == 1 else "(" + f" {connector} ".join(parts) + ")"
        return f"NOT ({text})" if negated else text
    raise Unknown(f"the condition `{ast.unparse(node)}`")


def _lookup(
    key: str,
    node: ast.AST,
    scope: pyast.Scope,
    columns: Callable[[str], str],
    model: Model | None,
    table: str | None = None,
) -> str:
    name, _, lookup = key.partition("__")
    if "__" in lookup:
        raise Unknown(f"the lookup `{key}` (across a relation or a transform)")
    f = model.fields.get(name) if model is not None else None
    if f is None and model is not None:
        f = next((g for g in model.fields.values() if g.column == name), None)
    column = qualified(table, columns(name))
    if isinstance(node, ast.Call) and last_name(node) == "F" and node.args:
        right = qualified(table, columns(str(scope.value(node.args[0]))))
    else:
        value = scope.value(node)
        if lookup == "isnull":
            return f"{column} IS {'' if value else 'NOT '}NULL"
        if lookup == "in" and isinstance(value, list):
            return f"{column} IN ({', '.join(adapt(f, v) for v in value)})"
        if value is None and lookup in ("", "exact"):
            return f"{column} IS NULL"
        boolean = f is not None and f.kind == "BooleanField"
        if isinstance(value, bool) and lookup in ("", "exact") and boolean:
            return column if value else f"NOT {column}"
        if lookup == "range" and isinstance(value, list) and len(value) == 2:
            return f"{column} BETWEEN {adapt(f, value[0])} AND {adapt(f, value[1])}"
        right = adapt(f, value)
    if (lookup or "exact") not in _LOOKUPS:
        raise Unknown(f"the lookup `{key}`")
    return f"{column} {_LOOKUPS[lookup or 'exact']} {right}"


def qualified(table: str | None, column: str) -> str:
    return f"{q(table)}.{q(column)}" if table else q(column)


# ---- operations -> SQL ----------------------------------------------------------------


@dataclass
class Output:
    statements: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # run at the end of the migration
    notes: list[str] = field(default_factory=list)

    def then(self, other: Output) -> Output:
        self.statements += other.statements
        self.deferred += other.deferred
        self.notes += other.notes
        return self


_SIGNATURES = {
    "CreateModel": ["name", "fields", "options", "bases", "managers"],
    "DeleteModel": ["name"],
    "RenameModel": ["old_name", "new_name"],
    "AlterModelTable": ["name", "table"],
    "AlterModelOptions": ["name", "options"],
    "AlterModelTableComment": ["name", "table_comment"],
    "AlterOrderWithRespectTo": ["name", "order_with_respect_to"],
    "AddField": ["model_name", "name", "field"],
    "RemoveField": ["model_name", "name"],
    "AlterField": ["model_name", "name", "field"],
    "RenameField": ["model_name", "old_name", "new_name"],
    "AddIndex": ["model_name", "index"],
    "AddIndexConcurrently": ["model_name", "index"],
    "RemoveIndex": ["model_name", "name"],
    "RemoveIndexConcurrently": ["model_name", "name"],
    "RenameIndex": ["model_name", "new_name", "old_name", "old_fields"],
    "AddConstraint": ["model_name", "constraint"],
    "AddConstraintNotValid": ["model_name", "constraint"],
    "RemoveConstraint": ["model_name", "name"],
    "AlterConstraint": ["model_name", "name", "constraint"],
    "ValidateConstraint": ["model_name", "name"],
    "AlterUniqueTogether": ["name", "unique_together"],
    "CreateExtension": ["name"],
    "CreateCollation": ["name", "locale", "provider", "deterministic"],
    "RemoveCollation": ["name", "locale", "provider", "deterministic"],
}
# Operations that change only Django's state, never the database.
_STATE_ONLY = frozenset({"AlterModelManagers"})
# django.contrib.postgres.operations.CreateExtension subclasses: the extension each creates.
_EXTENSIONS = {
    "BloomExtension": "bloom",
    "BtreeGinExtension": "btree_gin",
    "BtreeGistExtension": "btree_gist",
    "CITextExtension": "citext",
    "CryptoExtension": "pgcrypto",
    "HStoreExtension": "hstore",
    "TrigramExtension": "pg_trgm",
    "UnaccentExtension": "unaccent",
}
_INDEX_METHODS = {
    "BTreeIndex": "btree",
    "GinIndex": "gin",
    "GistIndex": "gist",
    "BrinIndex": "brin",
    "HashIndex": "hash",
    "SpGistIndex": "spgist",
    "BloomIndex": "bloom",
}
# The storage parameters each index class writes into WITH (…), in Django's order.
_INDEX_PARAMETERS = {
    "BTreeIndex": ("fillfactor", "deduplicate_items"),
    "GinIndex": ("fastupdate", "gin_pending_list_limit"),
    "GistIndex": ("buffering", "fillfactor"),
    "BrinIndex": ("autosummarize", "pages_per_range"),
    "HashIndex": ("fillfactor",),
    "SpGistIndex": ("fillfactor",),
    "BloomIndex": ("length",),
}
_DEFERRABLE = {
    "DEFERRED": " DEFERRABLE INITIALLY DEFERRED",
    "IMMEDIATE": " DEFERRABLE INITIALLY IMMEDIATE",
}
_RANGE_OPERATORS = {
    "EQUAL": "=",
    "NOT_EQUAL": "<>",
    "CONTAINS": "@>",
    "CONTAINED_BY": "<@",
    "OVERLAPS": "&&",
    "FULLY_LT": "<<",
    "FULLY_GT": ">>",
    "NOT_LT": "&>",
    "NOT_GT": "&<",
    "ADJACENT_TO": "-|-",
}


def _kwargs(node: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in node.keywords if k.arg}


class Translator:
    def __init__(
        self,
        app: str,
        scope: pyast.Scope,
        state: State,
        path: str = "",
        imports: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.scope = scope
        self.state = state
        self.path = path  # of the migration: the project's modules are looked for above it
        self.imports = imports or {}

    def fields(self, current: tuple[str, Model] | None = None) -> FieldReader:
        return FieldReader(self.scope, self.state, self.app, current, self.resolve)

    def resolve(self, dotted: str) -> FieldClass | None:
        if self.state.classes is None or not self.path:
            return None
        head, _, rest = dotted.partition(".")
        full = self.imports.get(head, head) + (f".{rest}" if rest else "")
        return self.state.classes.resolve(full, self.path)

    def function(self, dotted: str) -> tuple[str, int | None] | None:
        """A Func or Transform class of the project (FieldClasses.function)."""
        if self.state.classes is None or not self.path or not dotted:
            return None
        head, _, rest = dotted.partition(".")
        full = self.imports.get(head, head) + (f".{rest}" if rest else "")
        return self.state.classes.function(full, self.path)

    def cast_type(self, node: ast.AST) -> str:
        """The type Cast(…, output_field=node) casts to: Field.cast_db_type() on PostgreSQL."""
        f = self.fields().read("output_field", node)
        if f.cast_type is None or not f.has_column or f.kind in _RELATIONS:
            raise Unknown(f"the output field `{ast.unparse(node)}` of a Cast")
        return f.cast_type

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
        if kind in _EXTENSIONS:
            return Output([f"CREATE EXTENSION IF NOT EXISTS {q(_EXTENSIONS[kind])}"])
        handler = getattr(self, f"op_{kind}", None)
        if handler is None:
            raise Unknown(f"{kind} is not translated by pgfence")
        key = next((k for k in ("model_name", "name", "old_name") if k in bound), None)
        if key is None or kind in ("CreateExtension", "CreateCollation", "RemoveCollation"):
            out: Output = handler(bound)
            return out
        model_key = (self.app, self.s(bound, key).lower())
        before = self.state.models.get(model_key)
        out = handler(bound)
        model = self.state.models.get(model_key) if kind == "CreateModel" else before
        if model is not None and not model.managed:
            # allow_migrate_model: no SQL for an unmanaged or proxy model, only state.
            return Output()
        return out

    def op_AlterModelOptions(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        managed = _dict_node(bound.get("options"), "managed")
        if managed is not None:
            model.managed = bool(self.scope.value(managed))
        # `ordering` is one of the options AlterModelOptions replaces (absent: none)
        model.ordering = _ordering_option(bound.get("options"), self.scope)
        return Output()

    # -- models

    def op_CreateModel(self, bound: dict[str, ast.AST]) -> Output:
        name = self.s(bound, "name")
        options = bound.get("options")
        table = _dict_entry(options, "db_table", self.scope) or default_table(self.app, name)
        model = Model(table)
        model.ordering = _ordering_option(options, self.scope)
        model.custom_manager = _custom_manager(bound.get("managers"))
        bases = bound.get("bases")
        if (
            _dict_node(options, "ordering") is None
            and isinstance(bases, ast.Tuple | ast.List)
            and any(isinstance(b, ast.Constant) for b in bases.elts)
        ):
            model.ordering = None  # a model base ("app.model"): its ordering is inherited
        managed, proxy = _dict_node(options, "managed"), _dict_node(options, "proxy")
        model.managed = not (
            (managed is not None and self.scope.value(managed) is False)
            or (proxy is not None and self.scope.value(proxy) is True)
        )
        if proxy is not None and self.scope.value(proxy) is True:
            # A proxy: the table and columns of the concrete model it derives from.
            concrete = self._concrete_base(bound.get("bases"))
            if concrete is not None:
                model.table, model.fields = concrete.table, concrete.fields
        reader = self.fields((name, model))
        items = bound["fields"]
        if not isinstance(items, ast.List | ast.Tuple):
            raise Unknown("CreateModel fields that are not a literal list")
        for item in items.elts:
            if not isinstance(item, ast.Tuple) or len(item.elts) != 2:
                raise Unknown(f"the field entry `{ast.unparse(item)}`")
            field_name = self.scope.string(item.elts[0])
            try:
                f = reader.read(field_name, item.elts[1])
            except Unknown as exc:
                # One field pgfence cannot type must not cost the whole table (and every
                # foreign key to it): the column is left out, and said so.
                reader.notes.append(f"column `{field_name}` left out: {exc.args[0]}")
                continue
            model.fields[f.name] = f
        if (wrt := _dict_entry(options, "order_with_respect_to", self.scope)) is not None:
            model.order_with_respect_to = wrt
            model.fields["_order"] = Field("_order", "_order", "IntegerField", "integer")
        self.state.models[(self.app, name.lower())] = model
        for f in model.columns():
            _inline_names(table, f)
        out = Output(notes=reader.notes)
        for names in _together(_dict_value(options, "unique_together", self.scope)):
            cols = tuple(self.column_of(model)(n) for n in names)
            model.unique_together.append(cols)
            out.deferred.append(_unique_together_sql(model.table, cols))
        out.deferred += [_add_foreign_key(table, f) for f in model.columns() if f.fk]
        definitions = [
            f"{q(f.column)} {f.definition(include_default=False)}" for f in model.columns()
        ]
        constraints = _dict_list(options, "constraints")
        with_params = any(f.db_default and not f.db_default_is_expression for f in model.columns())
        for node in constraints:
            inline, separate = self._constraint_sql(model, node, inline=not with_params)
            definitions += inline
            out.deferred += separate
        out.statements.append(f"CREATE TABLE {q(table)} ({', '.join(definitions)})")
        comment = _dict_entry(options, "db_table_comment", self.scope)
        if comment is not None:
            out.statements.append(f"COMMENT ON TABLE {q(table)} IS {literal(comment)}")
        out.statements += [
            f"COMMENT ON COLUMN {q(table)}.{q(f.column)} IS {literal(f.comment)}"
            for f in model.columns()
            if f.comment
        ]
        out.deferred += [sql for f in model.columns() for sql in _indexes(table, f)]
        for node in _dict_list(options, "indexes"):
            out.deferred.append(self._index_sql(model, node, concurrently=False))
        for f in model.fields.values():
            if f.m2m is not None and not f.m2m.through:
                out.then(self._create_through(name, model, f))
        return out

    def _concrete_base(self, bases: ast.AST | None) -> Model | None:
        if not isinstance(bases, ast.Tuple | ast.List):
            return None
        for base in bases.elts:
            if isinstance(base, ast.Constant) and isinstance(base.value, str):
                key = self.state.key(self.app, base.value)
                found = self.state.models.get(key)
                if found is not None:
                    return found
                if key in _CONTRIB:  # a proxy of ContentType, User, …
                    table, column, kind = _CONTRIB[key]
                    auto = kind == "integer"
                    pk = Field(column, column, "AutoField" if auto else "CharField", kind)
                    pk.primary_key = True
                    return self.state.models.setdefault(key, Model(table, {column: pk}))
        return None

    def _create_through(self, owner_name: str, owner: Model, f: Field) -> Output:
        """create_many_to_many_intermediary_model, and the create_model of it."""
        assert f.m2m is not None
        table = f.m2m.table or truncate_name(f"{owner.table}_{f.name}")
        from_name = owner_name.lower()
        to_name = f.m2m.to[1]
        if (self.app, from_name) == f.m2m.to:
            from_name, to_name = f"from_{from_name}", f"to_{to_name}"
        pk = owner.pk()
        kind = pk.kind if pk is not None and pk.kind in _AUTO else "BigAutoField"
        notes = []
        if pk is None or pk.kind not in _AUTO:
            notes.append(
                f"the table of `{f.name}` was given a bigint id (DEFAULT_AUTO_FIELD is "
                "not read by pgfence)"
            )
        through = Model(table)
        through.fields["id"] = Field("id", "id", kind, _TYPES[kind], primary_key=True)
        for side, key, current in (
            (from_name, (self.app, owner_name.lower()), owner),
            (to_name, f.m2m.to, owner if f.m2m.to == (self.app, owner_name.lower()) else None),
        ):
            to_table, to_column, rel_type, _ = self.state.target(key, None, current)
            through.fields[side] = Field(
                side,
                f"{side}_id",
                "ForeignKey",
                rel_type,
                db_index=True,
                target=(to_table, to_column),
                points_at=key,
                db_constraint=f.m2m.db_constraint,
            )
        cols = (f"{from_name}_id", f"{to_name}_id")
        through.unique_together.append(cols)
        columns = ", ".join(f"{q(c.column)} {c.definition()}" for c in through.columns())
        out = Output([f"CREATE TABLE {q(table)} ({columns})"], notes=notes)
        out.deferred.append(_unique_together_sql(table, cols))
        out.deferred += [_add_foreign_key(table, c) for c in through.columns() if c.fk]
        out.deferred += [sql for c in through.columns() for sql in _indexes(table, c)]
        f.m2m.made = through
        self.state.models[(self.app, f"{owner_name.lower()}_{f.name.lower()}+through")] = through
        return out

    def _alter_many_to_many(self, owner_name: str, owner: Model, old: Field, new: Field) -> Output:
        """BaseDatabaseSchemaEditor._alter_many_to_many: rename the table Django made for
        the field, and alter its key to the other side (a new target: dropped and added
        again)."""
        assert old.m2m is not None and new.m2m is not None
        through = old.m2m.made
        new.m2m.made = through
        if through is None:
            return Output(notes=["the table of this many-to-many field was not seen: not altered"])
        out = Output()
        new_table = new.m2m.table or truncate_name(f"{owner.table}_{new.name}")
        if new_table != through.table:
            out.statements.append(f"ALTER TABLE {q(through.table)} RENAME TO {q(new_table)}")
            through.table = new_table
        sides = [f for f in through.fields.values() if f.target is not None]
        if len(sides) != 2 or new.m2m.to == old.m2m.to:
            return out
        from_name = owner_name.lower()
        to_name = new.m2m.to[1]
        if (self.app, from_name) == new.m2m.to:
            to_name = f"to_{to_name}"
        old_side = sides[1]
        to_table, to_column, rel_type, _ = self.state.target(new.m2m.to)
        new_side = Field(
            to_name,
            f"{to_name}_id",
            "ForeignKey",
            rel_type,
            template=rel_type,
            db_index=True,
            target=(to_table, to_column),
            points_at=new.m2m.to,
            db_constraint=new.m2m.db_constraint,
        )
        through.fields.pop(old_side.name)
        through.fields[to_name] = new_side
        return out.then(_alter_field(through.table, old_side, new_side))

    def _through_table(self, owner_name: str, f: Field) -> str | None:
        return f.m2m.made.table if f.m2m is not None and f.m2m.made is not None else None

    def op_DeleteModel(self, bound: dict[str, ast.AST]) -> Output:
        name = self.s(bound, "name")
        model = self.model(bound, "name")
        out = Output()
        for f in model.fields.values():
            if f.m2m is not None and not f.m2m.through:
                through = self._through_table(name, f)
                if through:
                    out.statements.append(f"DROP TABLE {q(through)} CASCADE")
        self.state.models.pop((self.app, name.lower()), None)
        out.statements.append(f"DROP TABLE {q(model.table)} CASCADE")
        return out

    def _repoint(self, key: tuple[str, str], new_table: str) -> Output:
        """Foreign keys to a model whose table was renamed: Django drops each and adds it
        again under the name the new table gives it."""
        out = Output()
        throughs = {
            id(f.m2m.made)
            for m in self.state.models.values()
            for f in m.fields.values()
            if f.m2m and f.m2m.made
        }
        for model in self.state.models.values():
            if id(model) in throughs:  # their keys are renamed with the field (_rename_sides)
                continue
            for f in model.columns():
                if f.points_at != key or f.target is None:
                    continue
                if f.fk:
                    out.statements += _drop_fk(model.table, f)
                f.target = (new_table, f.target[1])
                if f.fk:
                    out.statements.append(_add_foreign_key(model.table, f))
        return out

    def op_RenameModel(self, bound: dict[str, ast.AST]) -> Output:
        old_name, new_name = self.s(bound, "old_name"), self.s(bound, "new_name")
        old = self.model(bound, "old_name")
        old_key, new_key = (self.app, old_name.lower()), (self.app, new_name.lower())
        self.state.models.pop(old_key, None)
        self.state.models[new_key] = old
        for model in self.state.models.values():
            for f in model.fields.values():
                if f.points_at == old_key:
                    f.points_at = new_key
                if f.m2m is not None and f.m2m.to == old_key:
                    f.m2m.to = new_key
        out = Output()
        old_table = old.table
        if old.table == default_table(self.app, old_name):  # a db_table of its own is kept
            old.table = default_table(self.app, new_name)
            out.statements.append(f"ALTER TABLE {q(old_table)} RENAME TO {q(old.table)}")
            out.then(self._repoint(new_key, old.table))
        # The tables of its many-to-many fields are named after its table, and their key
        # to it after its name; so are the keys to it in other models' tables.
        out.then(self._rename_throughs(old, old_table))
        for model in list(self.state.models.values()):
            for f in model.fields.values():
                if f.m2m is not None and f.m2m.made is not None:
                    out.then(self._rename_sides(f.m2m.made, old_key, new_key, old.table))
        return out

    def _rename_throughs(self, model: Model, old_table: str) -> Output:
        """AlterModelTable / RenameModel: the tables Django named after the model's."""
        out = Output()
        if model.table == old_table:
            return out
        for f in model.fields.values():
            made = f.m2m.made if f.m2m is not None and not f.m2m.table else None
            if made is None:
                continue
            new_table = truncate_name(f"{model.table}_{f.name}")
            if made.table != new_table:
                out.statements.append(f"ALTER TABLE {q(made.table)} RENAME TO {q(new_table)}")
                made.table = new_table
        return out

    def _rename_sides(
        self,
        through: Model,
        old_key: tuple[str, str],
        new_key: tuple[str, str],
        table: str,
    ) -> Output:
        """The key columns of a many-to-many table that point at a renamed model: renamed
        after the model, their foreign keys dropped and added again."""
        out = Output()
        for side in list(through.fields.values()):
            if side.points_at != new_key or side.target is None:
                continue
            old_prefix = old_key[1]
            if not side.name.endswith(old_prefix):
                continue
            name = side.name[: len(side.name) - len(old_prefix)] + new_key[1]
            moved = Field(
                name,
                f"{name}_id",
                side.kind,
                side.db_type,
                template=side.template,
                db_index=True,
                target=(table, side.target[1]),
                points_at=new_key,
                db_constraint=side.db_constraint,
                fk_constraint=side.fk_constraint,
            )
            old_side = dataclasses.replace(side)
            through.fields = {
                (name if k == side.name else k): (moved if k == side.name else v)
                for k, v in through.fields.items()
            }
            out.then(_alter_field(through.table, old_side, moved))
        return out

    def op_AlterModelTable(self, bound: dict[str, ast.AST]) -> Output:
        name = self.s(bound, "name")
        model = self.model(bound, "name")
        new_table = self.scope.value(bound["table"]) or default_table(self.app, name)
        old_table, model.table = model.table, str(new_table)
        if old_table == model.table:
            return Output()
        for other in self.state.models.values():
            for f in other.columns():
                if f.points_at == (self.app, name.lower()) and f.target is not None:
                    f.target = (model.table, f.target[1])
        out = Output([f"ALTER TABLE {q(old_table)} RENAME TO {q(model.table)}"])
        return out.then(self._rename_throughs(model, old_table))

    def op_AlterModelTableComment(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        comment = self.scope.value(bound["table_comment"])
        return Output([f"COMMENT ON TABLE {q(model.table)} IS {literal(comment)}"])

    def op_AlterOrderWithRespectTo(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        wrt = self.scope.value(bound["order_with_respect_to"])
        table = q(model.table)
        had, model.order_with_respect_to = model.order_with_respect_to, wrt
        if wrt and not had:
            model.fields["_order"] = Field("_order", "_order", "IntegerField", "integer")
            return Output(
                [
                    f"ALTER TABLE {table} ADD COLUMN {q('_order')} integer DEFAULT 0 NOT NULL",
                    f"ALTER TABLE {table} ALTER COLUMN {q('_order')} DROP DEFAULT",
                ]
            )
        if had and not wrt:
            model.fields.pop("_order", None)
            return Output([f"ALTER TABLE {table} DROP COLUMN {q('_order')} CASCADE"])
        return Output()

    # -- fields

    def op_AddField(self, bound: dict[str, ast.AST]) -> Output:
        model_name = self.s(bound, "model_name")
        model = self.model(bound)
        reader = self.fields()
        f = reader.read(self.s(bound, "name"), bound["field"])
        model.fields[f.name] = f
        out = Output(notes=reader.notes)
        if f.m2m is not None:
            return (
                out.then(self._create_through(model_name, model, f)) if not f.m2m.through else out
            )
        if not f.has_column:
            return out
        _inline_names(model.table, f)
        definition = f.definition()
        if f.fk:
            fk = f.fk_constraint = _fk_name(model.table, f)
            definition += (
                f" CONSTRAINT {q(fk)} REFERENCES {q(f.fk[0])}({q(f.fk[1])})"
                " DEFERRABLE INITIALLY DEFERRED"
            )
        out.statements.append(f"ALTER TABLE {q(model.table)} ADD COLUMN {q(f.column)} {definition}")
        if f.fk:
            out.statements.append(f"SET CONSTRAINTS {q(fk)} IMMEDIATE")
        if f.default is not None and f.db_default is None:
            out.statements.append(
                f"ALTER TABLE {q(model.table)} ALTER COLUMN {q(f.column)} DROP DEFAULT"
            )
        if f.comment:
            out.statements.append(
                f"COMMENT ON COLUMN {q(model.table)}.{q(f.column)} IS {literal(f.comment)}"
            )
        out.deferred.extend(_indexes(model.table, f))
        return out

    def op_RemoveField(self, bound: dict[str, ast.AST]) -> Output:
        model_name = self.s(bound, "model_name")
        model = self.model(bound)
        name = self.s(bound, "name")
        f = model.fields.pop(name, None)
        if f is not None and f.m2m is not None:
            through = self._through_table(model_name, f)
            if f.m2m.through or through is None:
                return Output()
            return Output([f"DROP TABLE {q(through)} CASCADE"])
        if f is not None and not f.has_column:
            return Output()
        column = f.column if f is not None else name
        return Output([f"ALTER TABLE {q(model.table)} DROP COLUMN {q(column)} CASCADE"])

    def op_RenameField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        old_name, new_name = self.s(bound, "old_name"), self.s(bound, "new_name")
        old = model.fields.pop(old_name, None)
        if old is None:
            return Output(
                [f"ALTER TABLE {q(model.table)} RENAME COLUMN {q(old_name)} TO {q(new_name)}"]
            )
        model.fields[new_name] = old
        old_column = old.column
        if old.column in (old_name, f"{old_name}_id"):  # not a db_column of its own
            old.column = f"{new_name}_id" if old.kind in _RELATIONS else new_name
        old.name = new_name
        if not old.has_column or old_column == old.column:
            return Output()
        table = q(model.table)
        out = Output()
        if old.fk:
            renamed, old.column = old.column, old_column
            out.statements += _drop_fk(model.table, old)
            old.column = renamed
        out.statements.append(
            f"ALTER TABLE {table} RENAME COLUMN {q(old_column)} TO {q(old.column)}"
        )
        if old.fk:
            out.statements.append(_add_foreign_key(model.table, old))
        return out

    def op_AlterField(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        reader = self.fields()
        new = reader.read(self.s(bound, "name"), bound["field"])
        old = model.fields.get(new.name)
        model.fields[new.name] = new
        out = Output(notes=reader.notes)
        if not new.has_column or (old is not None and not old.has_column):
            if old is not None and old.m2m and new.m2m and not (old.m2m.through or new.m2m.through):
                return out.then(
                    self._alter_many_to_many(self.s(bound, "model_name"), model, old, new)
                )
            if new.m2m is not None or (old is not None and old.m2m is not None):
                out.notes.append("this change of a many-to-many field is not read by pgfence")
            return out
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
        return out.then(_alter_field(model.table, old, new))

    # -- indexes and constraints

    def _index_sql(self, model: Model, node: ast.AST, concurrently: bool) -> str:
        if not isinstance(node, ast.Call):
            raise Unknown(f"the index `{ast.unparse(node)}`")
        kwargs = _kwargs(node)
        columns = self.column_of(model)
        name = self.scope.string(kwargs["name"])
        kind = last_name(node)
        opclasses = (
            [str(o) for o in self.scope.value(kwargs["opclasses"])] if "opclasses" in kwargs else []
        )
        parts = []
        if node.args:
            parts = [index_expression(a, self.scope, columns, self) for a in node.args]
        else:
            for i, entry in enumerate(self.scope.value(kwargs["fields"])):
                descending = entry.startswith("-")
                part = q(columns(entry.lstrip("-")))
                if i < len(opclasses):
                    part += f" {opclasses[i]}"
                parts.append(part + (" DESC" if descending else ""))
        using = f" USING {_INDEX_METHODS[kind]}" if kind in _INDEX_METHODS else ""
        text = (
            f"CREATE INDEX{' CONCURRENTLY' if concurrently else ''} {q(name)} "
            f"ON {q(model.table)}{using} ({', '.join(parts)})"
        )
        if "include" in kwargs:
            include = ", ".join(q(columns(c)) for c in self.scope.value(kwargs["include"]))
            text += f" INCLUDE ({include})"
        storage = []
        for parameter in _INDEX_PARAMETERS.get(kind, ()):
            if parameter in kwargs and (value := self.scope.value(kwargs[parameter])) is not None:
                if isinstance(value, bool):
                    value = "on" if value else "off"
                storage.append(f"{parameter} = {value}")
        if storage:
            text += f" WITH ({', '.join(storage)})"
        if "condition" in kwargs:
            text += f" WHERE {condition(kwargs['condition'], self.scope, columns, model)}"
        return text

    def op_AddIndex(self, bound: dict[str, ast.AST]) -> Output:
        return Output([self._index_sql(self.model(bound), bound["index"], concurrently=False)])

    def op_AddIndexConcurrently(self, bound: dict[str, ast.AST]) -> Output:
        return Output([self._index_sql(self.model(bound), bound["index"], concurrently=True)])

    def op_RemoveIndex(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"DROP INDEX IF EXISTS {q(self.s(bound, 'name'))}"])

    def op_RemoveIndexConcurrently(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"DROP INDEX CONCURRENTLY IF EXISTS {q(self.s(bound, 'name'))}"])

    def op_RenameIndex(self, bound: dict[str, ast.AST]) -> Output:
        new_name = self.s(bound, "new_name")
        if "old_name" in bound and self.scope.value(bound["old_name"]) is not None:
            return Output([f"ALTER INDEX {q(self.s(bound, 'old_name'))} RENAME TO {q(new_name)}"])
        model = self.model(bound)
        cols = [self.column_of(model)(n) for n in self.scope.value(bound["old_fields"])]
        old = index_name(model.table, cols, "_idx")
        return Output(
            [f"ALTER INDEX {q(old)} RENAME TO {q(new_name)}"],
            notes=["the index of `old_fields` was taken to have the name Django gives it"],
        )

    def _constraint_sql(
        self, model: Model, node: ast.AST, inline: bool, not_valid: bool = False
    ) -> tuple[list[str], list[str]]:
        """(clauses inside CREATE TABLE, statements of their own) for a Meta constraint."""
        if not isinstance(node, ast.Call):
            raise Unknown(f"the constraint `{ast.unparse(node)}`")
        kwargs = _kwargs(node)
        name = q(self.scope.string(kwargs["name"]))
        table = q(model.table)
        columns = self.column_of(model)
        kind = last_name(node)
        suffix = " NOT VALID" if not_valid else ""

        def constraint(body: str) -> tuple[list[str], list[str]]:
            if inline:
                return [f"CONSTRAINT {name} {body}"], []
            return [], [f"ALTER TABLE {table} ADD CONSTRAINT {name} {body}{suffix}"]

        deferrable = self._deferrable(kwargs)
        if kind == "CheckConstraint":
            check = kwargs.get("condition") or kwargs.get("check")
            if check is None:
                raise Unknown("a CheckConstraint without a condition")
            return constraint(f"CHECK ({condition(check, self.scope, columns, model)})")
        if kind == "UniqueConstraint":
            nulls = ""
            if "nulls_distinct" in kwargs and self.scope.value(kwargs["nulls_distinct"]) is False:
                nulls = " NULLS NOT DISTINCT"
            if node.args:
                cols = ", ".join(index_expression(a, self.scope, columns, self) for a in node.args)
            else:
                names = self.scope.value(kwargs["fields"])
                opclasses = self.scope.value(kwargs["opclasses"]) if "opclasses" in kwargs else []
                cols = ", ".join(
                    q(columns(n)) + (f" {opclasses[i]}" if i < len(opclasses) else "")
                    for i, n in enumerate(names)
                )
            if node.args or any(k in kwargs for k in ("condition", "include", "opclasses")):
                model.index_constraints.add(self.scope.string(kwargs["name"]))
                text = f"CREATE UNIQUE INDEX {name} ON {table} ({cols})"
                if "include" in kwargs:
                    include = ", ".join(q(columns(c)) for c in self.scope.value(kwargs["include"]))
                    text += f" INCLUDE ({include})"
                text += nulls
                if "condition" in kwargs:
                    text += f" WHERE {condition(kwargs['condition'], self.scope, columns, model)}"
                return [], [text]
            return constraint(f"UNIQUE{nulls} ({cols}){deferrable}")
        if kind == "ExclusionConstraint":
            method = (
                str(self.scope.value(kwargs["index_type"])) if "index_type" in kwargs else "GIST"
            )
            parts = []
            written = kwargs.get("expressions")
            entries = written.elts if isinstance(written, ast.List | ast.Tuple) else []
            for entry in entries:
                if not isinstance(entry, ast.Tuple) or len(entry.elts) != 2:
                    raise Unknown(f"the exclusion `{ast.unparse(entry)}`")
                left = expression(entry.elts[0], self.scope, columns)
                operator_node = entry.elts[1]
                if (
                    isinstance(operator_node, ast.Attribute)
                    and operator_node.attr in _RANGE_OPERATORS
                ):
                    operator = _RANGE_OPERATORS[operator_node.attr]
                else:
                    operator = self.scope.string(operator_node)
                parts.append(f"{left} WITH {operator}")
            if not parts:
                raise Unknown("an ExclusionConstraint without expressions")
            body = f"EXCLUDE USING {method.lower()} ({', '.join(parts)})"
            if "include" in kwargs:
                include = ", ".join(q(columns(c)) for c in self.scope.value(kwargs["include"]))
                body += f" INCLUDE ({include})"
            if "condition" in kwargs:
                body += f" WHERE ({condition(kwargs['condition'], self.scope, columns, model)})"
            return constraint(body + deferrable)
        raise Unknown(f"a {kind} constraint")

    def _deferrable(self, kwargs: dict[str, ast.expr]) -> str:
        node = kwargs.get("deferrable")
        if node is None:
            return ""
        if isinstance(node, ast.Attribute):
            key = node.attr
        elif isinstance(node, ast.Subscript):
            key = str(self.scope.value(node.slice))
        else:
            raise Unknown(f"the deferrable `{ast.unparse(node)}`")
        if key not in _DEFERRABLE:
            raise Unknown(f"the deferrable `{ast.unparse(node)}`")
        return _DEFERRABLE[key]

    def _add_constraint(self, bound: dict[str, ast.AST], not_valid: bool) -> Output:
        _, separate = self._constraint_sql(
            self.model(bound), bound["constraint"], inline=False, not_valid=not_valid
        )
        return Output(separate)

    def op_AddConstraint(self, bound: dict[str, ast.AST]) -> Output:
        return self._add_constraint(bound, not_valid=False)

    def op_AddConstraintNotValid(self, bound: dict[str, ast.AST]) -> Output:
        return self._add_constraint(bound, not_valid=True)

    def op_RemoveConstraint(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound)
        name = self.s(bound, "name")
        if name in model.index_constraints:
            model.index_constraints.discard(name)
            return Output([f"DROP INDEX IF EXISTS {q(name)}"])
        return Output([f"ALTER TABLE {q(model.table)} DROP CONSTRAINT {q(name)}"])

    def op_AlterConstraint(self, bound: dict[str, ast.AST]) -> Output:
        # Django 5.2: makemigrations writes it when only attributes the database does not
        # hold change (violation_error_message, …); its database_forwards sends nothing.
        self.model(bound)
        return Output()

    def op_ValidateConstraint(self, bound: dict[str, ast.AST]) -> Output:
        table = q(self.model(bound).table)
        return Output([f"ALTER TABLE {table} VALIDATE CONSTRAINT {q(self.s(bound, 'name'))}"])

    def op_AlterUniqueTogether(self, bound: dict[str, ast.AST]) -> Output:
        model = self.model(bound, "name")
        news = [
            tuple(self.column_of(model)(n) for n in names)
            for names in _together(self.scope.value(bound["unique_together"]))
        ]
        out = Output()
        for cols in model.unique_together:
            if cols not in news:
                out.statements.append(
                    f"ALTER TABLE {q(model.table)} DROP CONSTRAINT "
                    f"{q(index_name(model.table, list(cols), '_uniq'))}"
                )
        for cols in news:
            if cols not in model.unique_together:
                out.statements.append(_unique_together_sql(model.table, cols))
        model.unique_together = news
        return out

    def op_CreateExtension(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"CREATE EXTENSION IF NOT EXISTS {q(self.s(bound, 'name'))}"])

    def _collation_args(self, bound: dict[str, ast.AST]) -> str:
        args = {"locale": q(self.s(bound, "locale"))}
        if "provider" in bound and self.scope.value(bound["provider"]) != "libc":
            args["provider"] = q(self.s(bound, "provider"))
        if "deterministic" in bound and self.scope.value(bound["deterministic"]) is False:
            args["deterministic"] = "false"
        return ", ".join(f"{k}={v}" for k, v in args.items())

    def op_CreateCollation(self, bound: dict[str, ast.AST]) -> Output:
        return Output(
            [f"CREATE COLLATION {q(self.s(bound, 'name'))} ({self._collation_args(bound)})"]
        )

    def op_RemoveCollation(self, bound: dict[str, ast.AST]) -> Output:
        return Output([f"DROP COLLATION {q(self.s(bound, 'name'))}"])


def _alter_field(table_name: str, old: Field, new: Field) -> Output:
    """BaseDatabaseSchemaEditor._alter_field with PostgreSQL's additions, step by step."""
    out = Output()
    run = out.statements
    table = q(table_name)

    def named(column: str, suffix: str = "") -> str:
        return q(index_name(table_name, [column], suffix))

    if old.db_signature() == new.db_signature() and old.comment == new.comment:
        return out
    fk_dropped = False
    new.fk_constraint = old.fk_constraint
    if old.fk and old.db_signature() != new.db_signature():
        run.extend(_drop_fk(table_name, old))
        new.fk_constraint = None
        fk_dropped = True
    new.unique_constraint = old.unique_constraint if new.unique else None
    if old.unique and (not new.unique or (new.primary_key and not old.primary_key)):
        dropped = old.unique_constraint or index_name(table_name, [old.column], "_uniq")
        run.append(f"ALTER TABLE {table} DROP CONSTRAINT {q(dropped)}")
        new.unique_constraint = None
    if old.db_index and not old.unique and (not new.db_index or new.unique):
        run.append(f"DROP INDEX IF EXISTS {named(old.column)}")
        if _is_text(old):
            run.append(f"DROP INDEX IF EXISTS {named(old.column, '_like')}")
    new.check_constraint = old.check_constraint if new.check == old.check else None
    if old.check and old.check != new.check:
        dropped = old.check_constraint or index_name(table_name, [old.column], "_check")
        run.append(f"ALTER TABLE {table} DROP CONSTRAINT {q(dropped)}")
    column = q(new.column)
    if old.column != new.column:
        run.append(f"ALTER TABLE {table} RENAME COLUMN {q(old.column)} TO {column}")
    prefix = f"ALTER COLUMN {column}"
    actions: list[str] = []
    post: list[str] = []
    text_index_changes = (old.db_index or old.unique) and (
        (old.db_type.startswith("varchar") and not new.db_type.startswith("varchar"))
        or (old.db_type.startswith("text") and not new.db_type.startswith("text"))
    )
    if old.db_type != new.db_type or old.comment != new.comment:
        if text_index_changes:
            run.append(f"DROP INDEX IF EXISTS {named(old.column, '_like')}")
        using = f" USING {column}::{new.db_type}" if old.template != new.template else ""
        old_auto, new_auto = old.kind in _AUTO, new.kind in _AUTO
        if new_auto and not old_auto:
            post.append(f"ALTER TABLE {table} {prefix} ADD GENERATED BY DEFAULT AS IDENTITY")
        elif old_auto and not new_auto:
            run.append(f"ALTER TABLE {table} {prefix} DROP IDENTITY IF EXISTS")
            out.notes.append("Django also drops the column's sequence if it has one")
        elif old_auto and new_auto and old.kind != new.kind:
            sequence = truncate_name(f"{table_name}_{new.column}_seq")
            post.append(f"ALTER SEQUENCE IF EXISTS {q(sequence)} AS {_TYPES[new.kind]}")
        actions.append(f"{prefix} TYPE {new.db_type}{using}")
        if old.comment != new.comment:
            post.insert(0, f"COMMENT ON COLUMN {table}.{column} IS {literal(new.comment)}")
    if new.db_default is not None:
        if old.db_default != new.db_default:
            actions.append(f"{prefix} SET DEFAULT {new.db_default}")
    elif old.db_default is not None:
        actions.append(f"{prefix} DROP DEFAULT")
    needs_default = (
        old.null
        and not new.null
        and new.db_default is None
        and new.default is not None
        and old.default != new.default
    )
    if needs_default:
        actions.append(f"{prefix} SET DEFAULT {new.default}")
    null_actions = (
        [f"{prefix} {'DROP' if new.null else 'SET'} NOT NULL"] if old.null != new.null else []
    )
    four_way = (new.default is not None or new.db_default is not None) and old.null and not new.null
    if actions or null_actions:
        if not four_way:
            actions += null_actions
        if actions:
            run.append(f"ALTER TABLE {table} " + ", ".join(actions))
        if four_way:
            default = new.db_default if new.db_default is not None else new.default
            run.append(f"UPDATE {table} SET {column} = {default} WHERE {column} IS NULL")
            run.append("SET CONSTRAINTS ALL IMMEDIATE")
            run.extend(f"ALTER TABLE {table} {a}" for a in null_actions)
    run.extend(post)
    if new.unique and not old.unique and not new.primary_key:
        new.unique_constraint = index_name(table_name, [new.column], "_uniq")
        run.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {q(new.unique_constraint)} UNIQUE ({column})"
        )
    if (not old.db_index or old.unique) and new.db_index and not new.unique:
        run.append(f"CREATE INDEX {named(new.column)} ON {table} ({column})")
    if new.primary_key and not old.primary_key:
        run.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {named(new.column, '_pk')} PRIMARY KEY ({column})"
        )
    if new.fk and (fk_dropped or not old.fk):
        run.append(_add_foreign_key(table_name, new))
    if new.check and old.check != new.check:
        new.check_constraint = index_name(table_name, [new.column], "_check")
        run.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {q(new.check_constraint)} CHECK ({new.check})"
        )
    if needs_default:
        run.append(f"ALTER TABLE {table} {prefix} DROP DEFAULT")
    if (
        (not (old.db_index or old.unique) and new.db_index)
        or (not old.unique and new.unique)
        or text_index_changes
    ) and _is_text(new):
        ops = "varchar_pattern_ops" if new.db_type.startswith("varchar") else "text_pattern_ops"
        like = index_name(table_name, [new.column], "_like")
        run.append(f"CREATE INDEX {q(like)} ON {table} ({column} {ops})")
    if old.unique and not (new.db_index or new.unique) and _is_text(old):
        run.append(f"DROP INDEX IF EXISTS {named(old.column, '_like')}")
    return out


def _inline_names(table: str, f: Field) -> None:
    """The names PostgreSQL gives the UNIQUE and CHECK written with a column."""
    if f.unique and not f.primary_key:
        f.unique_constraint = pg_object_name(table, f.column, "key")
    if f.check:
        f.check_constraint = pg_object_name(table, f.column, "check")


def _together(value: object) -> list[tuple[str, ...]]:
    """unique_together as Django normalises it: one tuple of names, or several."""
    if not value:
        return []
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [tuple(value)]
    if not isinstance(value, list):
        raise Unknown(f"the unique_together `{value!r}`")
    return [tuple(names) for names in value]


def _unique_together_sql(table: str, cols: tuple[str, ...]) -> str:
    name = index_name(table, list(cols), "_uniq")
    return (
        f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} UNIQUE ({', '.join(q(c) for c in cols)})"
    )


def _custom_manager(node: ast.AST | None) -> str | None:
    """The first manager of `managers=[("objects", …Manager())]` that is not Django's own
    Manager(), as written; None when there is none."""
    if node is None:
        return None
    if not isinstance(node, ast.List | ast.Tuple):
        return ast.unparse(node)[:60]
    for item in node.elts:
        if not (
            isinstance(item, ast.Tuple)
            and len(item.elts) == 2
            and isinstance(item.elts[1], ast.Call)
            and pyast.dotted(item.elts[1].func)
            in ("models.Manager", "django.db.models.manager.Manager", "django.db.models.Manager")
            and not item.elts[1].args
            and not item.elts[1].keywords
        ):
            return ast.unparse(item.elts[1] if isinstance(item, ast.Tuple) else item)[:60]
    return None


def _ordering_option(options: ast.AST | None, scope: pyast.Scope) -> tuple[Ordering, ...] | None:
    """Meta.ordering of a model's options: names (`-name` descending), `F('x')`,
    `F('x').asc/desc(nulls_…)`, `OrderBy(F('x'), …)`; None when pgfence cannot read it."""
    node = _dict_node(options, "ordering")
    if node is None:
        return ()
    if isinstance(node, ast.Name):
        try:
            value = scope.value(node)
        except Unknown:
            return None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None
        node = ast.Tuple(elts=[ast.Constant(v) for v in value], ctx=ast.Load())
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    out = []
    for entry in node.elts:
        try:
            found = _ordering_entry(entry, scope)
        except Unknown:
            return None
        if found is None:
            return None
        out.append(found)
    return tuple(out)


def _ordering_entry(node: ast.expr, scope: pyast.Scope) -> Ordering | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value.removeprefix("-")
        if not name or "?" in name or "-" in name or "__" in name:
            return None
        return Ordering(name, node.value.startswith("-"))
    if not isinstance(node, ast.Call):
        return None
    descending = False
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("asc", "desc"):
        if node.args:
            return None
        descending, inner = node.func.attr == "desc", node.func.value
    elif last_name(node) == "OrderBy" and len(node.args) == 1:
        inner = node.args[0]
    elif last_name(node) == "F" and len(node.args) == 1 and not node.keywords:
        return Ordering(scope.string(node.args[0]), expression=True)
    else:
        return None
    if not (
        isinstance(inner, ast.Call)
        and last_name(inner) == "F"
        and len(inner.args) == 1
        and not inner.keywords
    ):
        return None
    nulls = ""
    for keyword in node.keywords:
        value = scope.value(keyword.value)
        if keyword.arg == "descending" and last_name(node) == "OrderBy" and isinstance(value, bool):
            descending = value
        elif keyword.arg in ("nulls_first", "nulls_last") and value in (True, False, None):
            if value:
                nulls = " NULLS FIRST" if keyword.arg == "nulls_first" else " NULLS LAST"
        else:
            return None
    name = scope.string(inner.args[0])
    return None if "__" in name else Ordering(name, descending, nulls, expression=True)


def _dict_node(node: ast.AST | None, key: str) -> ast.expr | None:
    if not isinstance(node, ast.Dict):
        return None
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return v
    return None


def _dict_entry(node: ast.AST | None, key: str, scope: pyast.Scope) -> str | None:
    """One literal string entry of a dict literal whose other values may be anything."""
    value = _dict_node(node, key)
    return None if value is None else scope.string(value)


def _dict_value(node: ast.AST | None, key: str, scope: pyast.Scope) -> object:
    value = _dict_node(node, key)
    return None if value is None else scope.value(value)


def _dict_list(node: ast.AST | None, key: str) -> list[ast.expr]:
    value = _dict_node(node, key)
    if value is None:
        return []
    if not isinstance(value, ast.List | ast.Tuple):
        raise Unknown(f"the {key} `{ast.unparse(value)}`")
    return list(value.elts)


def _fk_name(table: str, f: Field) -> str:
    assert f.target is not None
    return index_name(table, [f.column], f"_fk_{f.target[0]}_{f.target[1]}")


def _drop_fk(table: str, f: Field) -> list[str]:
    name = f.fk_constraint or _fk_name(table, f)
    f.fk_constraint = None
    return [
        f"SET CONSTRAINTS {q(name)} IMMEDIATE",
        f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}",
    ]


def _add_foreign_key(table: str, f: Field) -> str:
    assert f.target is not None
    to_table, to_column = f.target
    f.fk_constraint = _fk_name(table, f)
    return (
        f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(f.fk_constraint)} "
        f"FOREIGN KEY ({q(f.column)}) REFERENCES {q(to_table)} ({q(to_column)}) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def _indexes(table: str, f: Field) -> list[str]:
    """The indexes Django defers for a db_index field (a second one for LIKE on text)."""
    if not f.has_column or not (f.db_index or f.is_unique):
        return []
    out = []
    if f.db_index and not f.is_unique:
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
            if isinstance(item, ast.Call) and last_name(item) == "swappable_dependency":
                # Resolved in order(): the app whose migrations create the user model.
                dependencies.append((_USER_APP, "__first__"))
                continue
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


_USER_APP = "<AUTH_USER_MODEL>"
_CREATES_USER = re.compile(r"""CreateModel\(\s*(?:name\s*=\s*)?['"]User['"]""")


def user_app(migrations: list[DjangoMigration]) -> str | None:
    """The app among these whose migrations create a `User` model: the project's
    AUTH_USER_MODEL, most likely (settings are not read)."""
    apps = sorted({m.app for m in migrations if _CREATES_USER.search(m.text)}, key=natural_key)
    return apps[0] if apps else None


def order(migrations: list[DjangoMigration]) -> list[DjangoMigration]:
    """The order `manage.py migrate` applies them in: MigrationExecutor.migration_plan over
    the graph's leaf nodes (a migration no later one of its app depends on), sorted, each
    preceded by its ancestors in MigrationGraph.iterative_dfs order. `__first__` and
    `__latest__` name an app's first and last migration; swappable_dependency(
    AUTH_USER_MODEL), the first of the app that creates the user model."""
    ranked = sorted(migrations, key=lambda m: (natural_key(m.app), natural_key(m.name)))
    by_key = {(m.app, m.name): m for m in ranked}
    first: dict[str, str] = {}
    latest: dict[str, str] = {}
    for m in ranked:
        first.setdefault(m.app, m.name)
        latest[m.app] = m.name
    users = user_app(migrations)

    def parents(m: DjangoMigration) -> list[tuple[str, str]]:
        out = []
        for app, name in m.dependencies:
            if app == _USER_APP:
                if users is None or users == m.app:
                    continue
                app = users
            if name == "__first__":
                name = first.get(app, name)
            elif name == "__latest__":
                name = latest.get(app, name)
            if (app, name) in by_key and (app, name) != (m.app, m.name):
                out.append((app, name))
        return sorted(set(out))

    graph = {key: parents(m) for key, m in by_key.items()}
    same_app_children = {
        parent for key, ps in graph.items() for parent in ps if parent[0] == key[0]
    }
    leaves = sorted(key for key in graph if key not in same_app_children)
    plan: list[tuple[str, str]] = []
    planned: set[tuple[str, str]] = set()
    for leaf in [*leaves, *(k for k, _ in sorted(graph.items()))]:  # then any left (cycles)
        if leaf in planned:
            continue
        stack: list[tuple[tuple[str, str], bool]] = [(leaf, False)]
        expanded: set[tuple[str, str]] = set()
        while stack:
            node, processed = stack.pop()
            if node in planned:
                continue
            if processed:
                planned.add(node)
                plan.append(node)
            elif node not in expanded:  # a dependency cycle is broken, not followed forever
                expanded.add(node)
                stack.append((node, True))
                stack += [(p, False) for p in graph[node]]
    return [by_key[key] for key in plan]


class _Walker:
    def __init__(self, migration: DjangoMigration, state: State, ctx: LoadContext) -> None:
        self.migration = migration
        self.out = Extraction(migration.path)
        self.lines = migration.text.splitlines()
        self.scope = pyast.Scope()
        imports = (
            _imports(migration.module, f"{migration.app}.migrations.{migration.name}")
            if migration.module
            else {}
        )
        self.translator = Translator(migration.app, self.scope, state, migration.path, imports)
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
            with contextlib.suppress(Unknown, KeyError):
                bound = bind(node, ["name", "managers"])
                key = (self.translator.app, self.scope.string(bound["name"]).lower())
                if key in self.translator.state.models:
                    managers = _custom_manager(bound.get("managers"))
                    self.translator.state.models[key].custom_manager = managers
            return
        if kind == "SeparateDatabaseAndState":
            # As Django runs it: the database operations against the state as it was,
            # their own state changes then thrown away; the state operations make the new
            # state.
            bound = bind(node, ["database_operations", "state_operations"])
            state = self.translator.state
            before = copy.deepcopy(state.models)
            database, state_ops = bound.get("database_operations"), bound.get("state_operations")
            if isinstance(database, ast.List | ast.Tuple):
                self.operations(list(database.elts), emit=emit)
            state.models = before
            if isinstance(state_ops, ast.List | ast.Tuple):
                self.operations(list(state_ops.elts), emit=False)
            return

        def translate() -> None:
            if kind == "RunPython":
                self.run_python(node, where, origin, emit)
                return
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

    def run_python(self, node: ast.Call, where: Location, origin: str, emit: bool) -> None:
        """The function's ORM calls as SQL (`_DataCode`), placed at the operation; a
        function pgfence cannot read whole is unanalysable (nothing of it is sent)."""
        bound = bind(node, ["code", "reverse_code", "atomic", "hints", "elidable"])
        code = bound.get("code")
        func = next(
            (
                n
                for n in (self.migration.module.body if self.migration.module else [])
                if isinstance(n, ast.FunctionDef)
                and isinstance(code, ast.Name)
                and n.name == code.id
            ),
            None,
        )
        if func is None:
            raise Unknown(
                "RunPython: its code is not a function of this file (a data migration in "
                "Python, whose SQL depends on the rows it reads when it runs)"
            )
        reader = _DataCode(self, func)
        reader.read()
        if not emit:
            return
        ignored = ignores_at(self.lines, where.line, "#", node.end_lineno)
        for query, call in reader.queries:
            at = pyast.location(self.migration.path, call)
            statement = generated(
                query.sql, at, self.transaction, f"{origin} {func.name}()", ignored, self.out.budget
            )
            if query.unknown:
                safe = (
                    "it only reads"
                    if query.reads
                    else "its WHERE, a condition compared with NULL joined with AND, matches no row"
                    if query.null_in_where
                    else query.safe
                )
                statement, finding = with_placeholders(statement, query.unknown, safe)
                self.out.add([statement], [finding])
            else:
                self.out.add([statement])
        for loop, what in reader.loops:
            self.out.run_time_loop(pyast.location(self.migration.path, loop), what)
        self.out.findings.extend(
            info(checks.DjangoAssumption, where, note) for note, _ in reader.notes
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


# ---- RunPython: data migrations read, never run ---------------------------------------


@dataclass(frozen=True)
class _ModelRef:
    """`apps.get_model('app', 'Model')`: the historical model, as the state knows it."""

    app: str
    name: str


@dataclass
class _Query:
    """One queryset call of a RunPython function, as SQL with its run-time values."""

    sql: str
    unknown: list[str] = field(default_factory=list)
    null_in_where: bool = False  # a run-time value compared in a WHERE joined with AND only
    reads: bool = False
    safe: str | None = None  # why its NULLs make it write no row, when neither of those says


@dataclass
class _Instance:
    """A model instance a loop over a queryset's rows binds: the fields it loaded (all, or
    `.only()`'s and the pk) and those the loop's body sets."""

    model: Model
    loaded: set[str]
    assigned: set[str] = field(default_factory=set)
    related: dict[str, _Instance] = field(default_factory=dict)  # prefetch_related()'s


@dataclass
class _QuerySet:
    """`qs = Model.objects….only(…)`: a queryset bound to a name, evaluated (its SELECT sent,
    its rows cached) the first time a loop or bulk_update() reads it."""

    model: Model
    select: _Query
    only: set[str] | None
    evaluated: bool = False
    rows: _Instance | None = None  # its cached rows, as the loop over them left them
    prefetched: list[_Query] = field(default_factory=list)  # sent right after `select`


@dataclass
class _Objects:
    """`objs = []`, filled by `objs.append(obj)` in a loop over a queryset's rows."""

    rows: list[_Instance] = field(default_factory=list)


class _RunTime:
    """A Python value the function computes when it runs, from loaded field values: reading
    it sends no query."""


_RUN_TIME = _RunTime()


_ALIAS = object()  # schema_editor.connection.alias: which database, not a value of a query
_QUERYSET_STEPS = frozenset({"using", "all", "filter", "only", "prefetch_related"})
# Python's own functions, and psycopg's range, on plain values: they send no query.
_PURE_CALLS = frozenset(
    {
        "abs",
        "bool",
        "float",
        "int",
        "len",
        "list",
        "max",
        "min",
        "range",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "NumericRange",
    }
)


class _DataCode:
    """A RunPython function read as the queries its ORM calls send: `apps.get_model(…)`,
    `Model.objects[.using(…)][.all()|.filter(…)].update(…)/.delete()`, iteration over a
    queryset (a SELECT; the loop's body read once), loops over constants (unrolled).
    Anything else in the function makes the whole operation unanalysable: every statement
    of the function is either read or named."""

    def __init__(self, walker: _Walker, func: ast.FunctionDef) -> None:
        self.walker = walker
        self.func = func
        self.state = walker.translator.state
        self.scope = pyast.Scope(dict(walker.scope.constants))
        self.locals: dict[str, object] = {}
        self.queries: list[tuple[_Query, ast.AST]] = []
        self.notes: list[tuple[str, ast.AST]] = []
        self.current = _Query("")  # the queryset call being read
        self.prefetch: list[Field] = []  # the foreign keys of its prefetch_related()
        self.loops: list[tuple[ast.AST, str]] = []  # loops over rows, their body read once
        # what the module binds a name to: an import's dotted name, else "" (a def, a class…)
        self.module_names = _module_names(walker.migration.module)
        self.pure = 0  # inside a loop over rows: Python on loaded values only, no query
        args = [a.arg for a in func.args.args]
        if len(args) != 2 or func.args.vararg or func.args.kwonlyargs:
            raise Unknown(f"RunPython: `{func.name}` does not take (apps, schema_editor)")
        self.apps, self.schema_editor = args

    def read(self) -> None:
        self.block(self.func.body)

    def block(self, body: list[ast.stmt]) -> None:
        for index, statement in enumerate(body):
            if index == 0 and _is_docstring(statement):
                continue
            self.statement(statement)

    def unreadable(self, node: ast.AST, why: str = "") -> Unknown:
        text = ast.unparse(node).splitlines()[0][:70]
        return Unknown(
            f"RunPython: `{self.func.name}` line {getattr(node, 'lineno', '?')}, `{text}`: "
            f"{why or 'Python pgfence does not read'}"
        )

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Pass):
            return
        if self.pure:
            self.pure_statement(node)
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                if isinstance(node.value, ast.List) and not node.value.elts:
                    self.locals[target.id] = _Objects()
                    return
                queryset = self.named_queryset(node.value)
                self.locals[target.id] = queryset or self.bound_value(node.value)
                return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.query_call(node.value)
            return
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and not node.orelse:
            self.loop(node)
            return
        raise self.unreadable(node)

    def bound_value(self, node: ast.expr) -> object:
        """What an assignment binds: a model, the database alias, or a constant."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_model"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == self.apps
            and len(node.args) == 2
            and not node.keywords
        ):
            return _ModelRef(self.constant(node.args[0]), self.constant(node.args[1]))
        if pyast.dotted(node) == f"{self.schema_editor}.connection.alias":
            return _ALIAS
        try:
            return self.scope.value(node)
        except Unknown:
            raise self.unreadable(node) from None

    def constant(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name) and isinstance(self.locals.get(node.id), str):
            return str(self.locals[node.id])
        try:
            return self.scope.string(node)
        except Unknown:
            raise self.unreadable(node, "a model named at run time") from None

    def loop(self, node: ast.For) -> None:
        assert isinstance(node.target, ast.Name)
        if any(isinstance(n, ast.Return | ast.Break | ast.Continue) for n in ast.walk(node)):
            raise self.unreadable(node, "a loop that can leave early")
        values = self.constants_of(node.iter)
        if values is None:
            queryset = self.iterated(node.iter)
            if queryset is None:
                raise self.unreadable(node, "a loop over values pgfence does not read")
            self.rows_loop(node, queryset)
            return
        for value in values:  # over constants of the file: each value's statements, in order
            self.locals[node.target.id] = value
            self.block(node.body)
        self.locals.pop(node.target.id, None)

    def constants_of(self, node: ast.expr) -> list[object] | None:
        bound = self.locals.get(node.id) if isinstance(node, ast.Name) else None
        if isinstance(bound, list):
            return list(bound)
        try:
            value = self.scope.value(node)
        except Unknown:
            return None
        return list(value) if isinstance(value, list) else None

    # -- loops over a queryset's rows --

    def named_queryset(self, node: ast.expr) -> _QuerySet | None:
        """`Model.objects.using(…).filter(…).only(…)` bound to a name: nothing sent yet."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _QUERYSET_STEPS
        ):
            return None
        return self.select(node)

    def iterated(self, node: ast.expr) -> _QuerySet | None:
        if isinstance(node, ast.Name):
            bound = self.locals.get(node.id)
            return bound if isinstance(bound, _QuerySet) else None
        return self.named_queryset(node)

    def select(self, node: ast.Call) -> _QuerySet:
        """The SELECT Django sends to evaluate a queryset: the model's columns (`.only()`'s
        and the pk), its WHERE, its Meta.ordering."""
        self.current = _Query("", reads=True)
        model, conditions, only = self.queryset(node, node)
        table = q(model.table)
        columns = [f for f in model.columns() if only is None or f.name in only or f.primary_key]
        if model.ordering is None or (model.order_with_respect_to and not model.ordering):
            # order_with_respect_to orders by `_order` (and the related object's id)
            raise self.unreadable(node, f"the ordering of {model.table}, not read")
        order = []
        for entry in model.ordering:
            pk = model.pk()
            f = pk if entry.name == "pk" else model.fields.get(entry.name)
            by_name = f is not None
            if f is None:  # an attname (`site_id`): the column itself
                f = next((g for g in model.fields.values() if g.column == entry.name), None)
            if (
                f is None
                or not f.has_column
                or (f.kind in _RELATIONS and by_name and not entry.expression)
            ):
                # a relation's name orders by its model's ordering, with a JOIN
                raise self.unreadable(node, f"the ordering `{entry.name}` of {model.table}")
            way = "DESC" if entry.descending else "ASC"
            order.append(f"{qualified(model.table, f.column)} {way}{entry.nulls}")
        self.current.sql = (
            f"SELECT {', '.join(qualified(model.table, f.column) for f in columns)} FROM {table}"
            + _where(conditions)
            + (f" ORDER BY {', '.join(order)}" if order else "")
        )
        loaded = {f.name for f in columns} | {f.column for f in columns}
        rows = _Instance(model, loaded)
        queryset = _QuerySet(model, self.current, only, rows=rows)
        for f in self.prefetch:
            if f.name not in loaded:
                raise self.unreadable(node, f"prefetch_related('{f.name}') of a deferred field")
            rows.related[f.name], query = self.prefetched(f, node)
            queryset.prefetched.append(query)
        return queryset

    def prefetched(self, f: Field, node: ast.Call) -> tuple[_Instance, _Query]:
        """prefetch_related('fk'): the SELECT of the related rows Django sends after the
        queryset's (its model's base manager, no ordering; none when no row has one)."""
        assert f.points_at is not None and f.target is not None
        other = self.state.models.get(f.points_at)
        if other is None or not other.fields or f.target[0] != other.table:
            raise self.unreadable(node, f"prefetch_related('{f.name}'), a model not read")
        columns = other.columns()
        table = other.table
        query = _Query(
            f"SELECT {', '.join(qualified(table, c.column) for c in columns)} FROM {q(table)} "
            f"WHERE ({qualified(table, f.target[1])}) IN ((NULL))",
            unknown=[f"the `{f.name}` ids of the rows read, known when it runs"],
            reads=True,
        )
        loaded = {c.name for c in columns} | {c.column for c in columns}
        return _Instance(other, loaded), query

    def evaluate(self, queryset: _QuerySet, node: ast.AST) -> None:
        """The queryset's SELECT, sent the first time it is read (then its rows are cached)."""
        if not queryset.evaluated:
            self.queries.append((queryset.select, node))
            self.queries.extend((query, node) for query in queryset.prefetched)
            queryset.evaluated = True

    def rows_loop(self, node: ast.For, queryset: _QuerySet) -> None:
        """`for obj in queryset:` its SELECT, then the body read once on an instance whose
        loaded fields it may read and whose fields it may set: Python only, no query."""
        assert isinstance(node.target, ast.Name) and queryset.rows is not None
        self.evaluate(queryset, node.iter)
        self.loops.append((node, f"`for {node.target.id} in {ast.unparse(node.iter)[:60]}`"))
        self.locals[node.target.id] = queryset.rows
        self.pure += 1
        self.block(node.body)
        self.pure -= 1
        self.locals.pop(node.target.id, None)

    def pure_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            self.pure_value(node.value)
            if isinstance(target, ast.Name) and not isinstance(
                self.locals.get(target.id), _Instance | _QuerySet | _Objects
            ):
                self.locals[target.id] = _RUN_TIME
                return
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and isinstance(row := self.locals.get(target.value.id), _Instance)
            ):
                f = row.model.fields.get(target.attr) or next(
                    (g for g in row.model.fields.values() if g.column == target.attr), None
                )
                if (
                    f is None
                    or not f.has_column
                    or (f.kind in _RELATIONS and f.name == target.attr)
                ):
                    raise self.unreadable(node, f"`{target.attr}`, not a column set in memory")
                row.assigned |= {f.name, f.column}
                return
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and self.locals.get(node.target.id) is _RUN_TIME
        ):
            self.pure_value(node.value)
            return
        if isinstance(node, ast.If):
            self.pure_value(node.test)
            self.block(node.body)
            self.block(node.orelse)
            return
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and not node.orelse:
            self.pure_value(node.iter)
            self.locals[node.target.id] = _RUN_TIME
            self.block(node.body)
            return
        if (
            isinstance(node, ast.Expr)
            and isinstance(call := node.value, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "append"
            and isinstance(call.func.value, ast.Name)
            and isinstance(objects := self.locals.get(call.func.value.id), _Objects)
            and len(call.args) == 1
            and not call.keywords
            and isinstance(call.args[0], ast.Name)
            and isinstance(row := self.locals.get(call.args[0].id), _Instance)
        ):
            objects.rows.append(row)
            return
        raise self.unreadable(node, "in a loop over rows: Python pgfence does not read")

    def instance_of(self, node: ast.expr) -> _Instance | None:
        """The row `node` is: a loop's variable, or a prefetched related row of one."""
        if isinstance(node, ast.Name):
            bound = self.locals.get(node.id)
            return bound if isinstance(bound, _Instance) else None
        if isinstance(node, ast.Attribute) and (row := self.instance_of(node.value)):
            return row.related.get(node.attr)
        return None

    def pure_value(self, node: ast.expr) -> None:
        """An expression that sends no query: constants, loaded fields of a row, plain
        values computed from them, Python's own functions on them."""
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                bound = self.locals[node.id]
                if (
                    isinstance(bound, _Instance | _QuerySet | _Objects | _ModelRef)
                    or bound is _ALIAS
                ):
                    raise self.unreadable(node, "a model, instance or queryset used as a value")
                return
            if node.id in self.scope.constants:
                return
            raise self.unreadable(node, "a name pgfence does not read")
        if self.instance_of(node) is not None:
            raise self.unreadable(node, "a model instance used as a value")
        if isinstance(node, ast.Attribute):
            if (row := self.instance_of(node.value)) is not None:
                f = row.model.fields.get(node.attr) or next(
                    (g for g in row.model.fields.values() if g.column == node.attr), None
                )
                if f is None or (f.kind in _RELATIONS and f.name == node.attr):
                    raise self.unreadable(node, "a related object (Django reads it with a query)")
                if node.attr not in row.loaded | row.assigned:
                    raise self.unreadable(node, "a deferred field (Django reads it with a query)")
                return
            self.pure_value(node.value)
            return
        if isinstance(node, ast.BinOp):
            self.pure_value(node.left)
            self.pure_value(node.right)
            return
        if isinstance(node, ast.UnaryOp):
            self.pure_value(node.operand)
            return
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.pure_value(value)
            return
        if isinstance(node, ast.Compare):
            for value in [node.left, *node.comparators]:
                self.pure_value(value)
            return
        if isinstance(node, ast.IfExp):
            for value in (node.test, node.body, node.orelse):
                self.pure_value(value)
            return
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            for value in node.elts:
                self.pure_value(value)
            return
        if isinstance(node, ast.Subscript):
            self.pure_value(node.value)
            self.pure_value(node.slice)
            return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _PURE_CALLS
            and node.func.id not in self.locals
            and self.module_names.get(node.func.id, "builtins") in _RANGES
            and (node.func.id != "NumericRange" or node.func.id in self.module_names)
        ):
            for value in [*node.args, *(k.value for k in node.keywords)]:
                self.pure_value(value)
            return
        if isinstance(node, ast.GeneratorExp | ast.ListComp | ast.SetComp):
            shadowed: list[tuple[str, object]] = []
            for generator in node.generators:
                if not isinstance(generator.target, ast.Name) or generator.is_async:
                    raise self.unreadable(node)
                self.pure_value(generator.iter)
                shadowed.append((generator.target.id, self.locals.get(generator.target.id)))
                self.locals[generator.target.id] = _RUN_TIME
                for test in generator.ifs:
                    self.pure_value(test)
            self.pure_value(node.elt)
            for name, before in reversed(shadowed):
                if before is None:
                    self.locals.pop(name, None)
                else:
                    self.locals[name] = before
            return
        raise self.unreadable(node, "in a loop over rows: Python pgfence does not read")

    def bulk_update(self, node: ast.Call) -> _Query:
        """`Model.objects.bulk_update(objs, [fields], batch_size=…)`: one UPDATE per batch of
        the rows (none when there are none), each field a CASE on the pk cast to its type, as
        Django writes it on PostgreSQL; the pks and values are the rows', NULL here."""
        assert isinstance(node.func, ast.Attribute)
        self.current = _Query("")
        model, conditions, only = self.queryset(node.func.value, node)
        if conditions or only is not None or self.prefetch:
            raise self.unreadable(node, "bulk_update() on a filtered queryset")
        bound = bind(node, ["objs", "fields", "batch_size"])
        if set(bound) - {"objs", "fields", "batch_size"} or "fields" not in bound:
            raise self.unreadable(node, "the arguments of `bulk_update`")
        objs = bound["objs"]
        held = self.locals.get(objs.id) if isinstance(objs, ast.Name) else None
        if isinstance(held, _QuerySet):
            self.evaluate(held, node)  # bulk_update reads the queryset (its cache, if read)
            rows = [held.rows] if held.rows is not None else []
        elif isinstance(held, _Objects):
            rows = held.rows
        else:
            raise self.unreadable(node, "bulk_update() of objects pgfence does not read")
        try:
            names = self.scope.value(bound["fields"])
            batch = self.scope.value(bound["batch_size"]) if "batch_size" in bound else None
        except Unknown:
            raise self.unreadable(node, "the arguments of `bulk_update`") from None
        if not rows:
            return _Query("")  # an empty list: Django sends nothing
        pk = model.pk()
        if (
            not isinstance(names, list)
            or not names
            or pk is None
            or not (batch is None or isinstance(batch, int))
        ):
            raise self.unreadable(node, "the arguments of `bulk_update`")
        pk_column = qualified(model.table, pk.column)
        sets = []
        for name in names:
            f = model.fields.get(str(name))
            if (
                f is None
                or not f.has_column
                or f.primary_key
                or f.cast_type is None
                or any(r.model is not model for r in rows)
            ):
                raise self.unreadable(node, f"bulk_update() of `{name}`")
            if any(f.name not in r.loaded | r.assigned for r in rows):
                raise self.unreadable(
                    node, f"`{name}`, a deferred field (Django reads it with a query per row)"
                )
            placeholder = f"::{f.db_type}" if _has_placeholder(f) else ""
            sets.append(
                f"{q(f.column)} = (CASE WHEN ({pk_column} = NULL) THEN NULL{placeholder} "
                f"ELSE NULL END)::{f.cast_type}{placeholder}"
            )
        self.current.sql = (
            f"UPDATE {q(model.table)} SET {', '.join(sets)} WHERE {pk_column} IN (NULL)"
        )
        self.current.unknown.append(
            f"the pks and values of the rows bulk_update() writes (one UPDATE per "
            f"{batch or 'batch of'} rows, none when there are none)"
        )
        self.current.safe = f"its WHERE, `{pk.column} IN (NULL)`, matches no row"
        return self.current

    # -- querysets --

    def query_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Attribute):
            raise self.unreadable(node)
        method = node.func.attr
        if method == "bulk_update":
            query = self.bulk_update(node)
            if query.sql:
                self.queries.append((query, node))
            return
        if method not in ("update", "delete"):
            raise self.unreadable(node, f"the queryset method `{method}`")
        self.current = _Query("")
        model, conditions, _ = self.queryset(node.func.value, node)
        if self.prefetch:
            raise self.unreadable(node, f"prefetch_related() with `{method}`")
        if method == "update" and not node.args and node.keywords:
            self.queries.append((self.update(model, conditions, node), node))
        elif method == "delete" and not node.args and not node.keywords:
            self.queries.append((self.delete(model, conditions, node), node))
        else:
            raise self.unreadable(node, f"the arguments of `{method}`")

    def queryset(
        self, node: ast.expr, call: ast.Call
    ) -> tuple[Model, list[tuple[str, bool]], set[str] | None]:
        """The model of `Model.objects.using(…).filter(…).only(…)…`, its WHERE conditions
        (each with whether it compares a run-time value), the fields `.only()` loads."""
        steps: list[ast.Call] = []
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in _QUERYSET_STEPS:
                raise self.unreadable(call, f"the queryset method `{node.func.attr}`")
            steps.append(node)
            node = node.func.value
        if not (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and isinstance(node.value, ast.Name)
            and isinstance(self.locals.get(node.value.id), _ModelRef)
        ):
            raise self.unreadable(call, "not a queryset of a model from apps.get_model()")
        ref = self.locals[node.value.id]
        assert isinstance(ref, _ModelRef)
        model = self.model(ref, call)
        conditions: list[tuple[str, bool]] = []
        only: set[str] | None = None
        self.prefetch = []
        for step in reversed(steps):
            if step.func.attr == "filter":  # type: ignore[attr-defined]
                # filter(a, b=…): one Q, in parentheses when it has more than one child
                found = self.conditions(model, step)
                if len(found) > 1:
                    found = [(f"({' AND '.join(c for c, _ in found)})", any(n for _, n in found))]
                conditions += found
            elif step.func.attr == "only":  # type: ignore[attr-defined]
                try:
                    names = {str(self.scope.value(a)) for a in step.args}
                except Unknown:
                    raise self.unreadable(call, "only() of names pgfence does not read") from None
                pk = model.pk()
                names = {pk.name if n == "pk" and pk else n for n in names}
                if step.keywords or any(n not in model.fields for n in names):
                    raise self.unreadable(call, "only() of fields pgfence does not read")
                only = names if only is None else only & names
            elif step.func.attr == "prefetch_related":  # type: ignore[attr-defined]
                for arg in step.args:
                    name = arg.value if isinstance(arg, ast.Constant) else None
                    f = model.fields.get(name) if isinstance(name, str) else None
                    if f is None or f.kind not in _RELATIONS or f.points_at is None:
                        raise self.unreadable(call, "a prefetch_related() pgfence does not read")
                    self.prefetch.append(f)
        return model, conditions, only

    def model(self, ref: _ModelRef, call: ast.Call) -> Model:
        found = self.state.models.get((ref.app, ref.name.lower()))
        if found is None or not found.fields:
            raise self.unreadable(
                call, f"the model {ref.app}.{ref.name}, not created by the migrations read"
            )
        if found.custom_manager is not None:
            note = (
                f"{found.table}: `{ref.name}.objects` is the manager `{found.custom_manager}` "
                "of the project; pgfence assumed its get_queryset() is Django's (no filter "
                "or ordering of its own)"
            )
            if note not in (n for n, _ in self.notes):
                self.notes.append((note, call))
        return found

    def conditions(self, model: Model, step: ast.Call) -> list[tuple[str, bool]]:
        try:
            return self._conditions(model, step)
        except Unknown as exc:
            raise self.unreadable(step, str(exc.args[0])) from None

    def _conditions(self, model: Model, step: ast.Call) -> list[tuple[str, bool]]:
        columns = self.walker.translator.column_of(model)
        out = []
        for arg in step.args:
            out.append((condition(arg, self.scope, columns, model, model.table), False))
        for keyword in sorted(step.keywords, key=lambda k: k.arg or ""):  # Q sorts them
            if keyword.arg is None:
                raise self.unreadable(step, "filter(**…)")
            if keyword.arg == "pk":
                pk = model.pk()
                keyword = ast.keyword(pk.name if pk else "id", keyword.value)
            name, _, lookup = (keyword.arg or "").partition("__")
            if lookup in ("", "exact") and self.content_type(keyword.value) is not None:
                self.current.unknown.append(self.content_type_value(keyword.value))
                self.current.null_in_where = True
                out.append((f"{qualified(model.table, columns(name))} = NULL", True))
                continue
            out.append(
                (
                    _lookup(
                        keyword.arg or "", keyword.value, self.scope, columns, model, model.table
                    ),
                    False,
                )
            )
        return out

    def content_type(self, node: ast.expr) -> _ModelRef | None:
        """`ContentType.objects.get_for_model(Model)`: the model whose content type it reads."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_for_model"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and isinstance(self.locals.get(node.args[0].id), _ModelRef)
        ):
            return None
        manager = node.func.value
        if not (isinstance(manager, ast.Attribute) and manager.attr == "objects"):
            return None
        owner = manager.value
        if not isinstance(owner, ast.Name):
            return None
        bound = self.locals.get(owner.id)
        if bound != _ModelRef("contenttypes", "ContentType") and not (
            bound is None and owner.id == "ContentType"
        ):
            return None
        ref = self.locals[node.args[0].id]
        assert isinstance(ref, _ModelRef)
        return ref

    def content_type_value(self, node: ast.expr) -> str:
        """The SELECT get_for_model sends (unless Django's cache has the row), before the
        query that uses its result; the id it returns, for the run-time-value finding."""
        ref = self.content_type(node)
        assert ref is not None
        label = f"{ref.app}.{ref.name}"
        select = _Query(
            'SELECT "django_content_type"."id", "django_content_type"."app_label", '
            '"django_content_type"."model" FROM "django_content_type" WHERE '
            f'("django_content_type"."app_label" = {literal(ref.app)} AND '
            f'"django_content_type"."model" = {literal(ref.name.lower())}) LIMIT 21',
            reads=True,
        )
        self.queries.append((select, node))
        self.notes.append(
            (
                f"ContentType.objects.get_for_model({ref.name}): Django reads the row of "
                f"{label} (not when its cache holds it) and inserts it if there is none; "
                "pgfence wrote the SELECT",
                node,
            )
        )
        return f"the id of {label}'s content type (get_for_model), read when it runs"

    def update(self, model: Model, conditions: list[tuple[str, bool]], node: ast.Call) -> _Query:
        query = self.current
        sets = []
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.unreadable(node, "update(**…)")
            f = model.fields.get(keyword.arg) or next(
                (g for g in model.fields.values() if g.column == keyword.arg), None
            )
            if f is None or not f.has_column:
                raise self.unreadable(node, f"`{keyword.arg}`, not a column of {model.table}")
            sets.append(f"{q(f.column)} = {self.set_value(model, f, keyword.value, query)}")
        query.sql = f"UPDATE {q(model.table)} SET {', '.join(sets)}" + _where(conditions)
        return query

    def set_value(self, model: Model, f: Field, node: ast.expr, query: _Query) -> str:
        if isinstance(node, ast.Call) and last_name(node) == "F" and len(node.args) == 1:
            column = self.walker.translator.column_of(model)(self.scope.string(node.args[0]))
            return qualified(model.table, column)
        if self.content_type(node) is not None:
            query.unknown.append(self.content_type_value(node))
            return "NULL"
        if isinstance(node, ast.Name) and node.id in self.locals:
            value = self.locals[node.id]
            if isinstance(value, str | int | float | bool | type(None)):
                return adapt(f, value)
            raise self.unreadable(node)
        try:
            return adapt(f, self.scope.value(node))
        except Unknown:
            pass
        # A constant of the project's code (`Choices.KIND_INFO`): its value is there, in a
        # module pgfence does not read.
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id not in self.locals
            and node.value.id != self.apps
        ):
            query.unknown.append(f"`{ast.unparse(node)}`, a value of the project's code")
            return "NULL"
        raise self.unreadable(node, "a value pgfence does not read")

    def delete(self, model: Model, conditions: list[tuple[str, bool]], node: ast.Call) -> _Query:
        pointing = sorted(
            {
                other.table
                for other in self.state.models.values()
                for g in other.fields.values()
                if g.target is not None and g.target[0] == model.table and g.has_column
            }
        )
        if pointing:
            # Collector: Django reads the rows first and deletes or updates, in Python,
            # those of the models pointing at them: statements pgfence does not write.
            raise self.unreadable(
                node,
                f"Django's delete() also deletes or updates the rows of {', '.join(pointing)} "
                "that point at these",
            )
        self.notes.append(
            (
                f"{model.table}: Django's delete() sends one DELETE when no model points at "
                "the rows and no pre/post_delete signal receiver is connected; pgfence "
                "assumed none is",
                node,
            )
        )
        self.current.sql = f"DELETE FROM {q(model.table)}" + _where(conditions)
        return self.current


# NumericRange as a migration imports it: psycopg's range, sends no query.
_RANGES = frozenset(
    {
        "django.db.backends.postgresql.psycopg_any.NumericRange",
        "psycopg2.extras.NumericRange",
        "builtins",  # not bound by the module: Python's own function
    }
)


def _module_names(module: ast.Module | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in module.body if module else []:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = _imports(ast.Module(body=[node], type_ignores=[]), "")
            out.update(names)
        else:
            for n in ast.walk(node) if not isinstance(node, ast.FunctionDef) else [node]:
                if isinstance(n, ast.FunctionDef | ast.ClassDef):
                    out[n.name] = ""
                elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    out[n.id] = ""
            if isinstance(node, ast.ClassDef):
                out[node.name] = ""
    return out


def _has_placeholder(f: Field) -> bool:
    """ArrayField and the range fields bind a value as `%s::type` (get_placeholder)."""
    return f.kind == "ArrayField" or f.kind.endswith("RangeField")


def _where(conditions: list[tuple[str, bool]]) -> str:
    if not conditions:
        return ""
    return " WHERE " + " AND ".join(c for c, _ in conditions)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


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
    read = [read_file(path, ctx) for path in found]
    state = State(user_app(read), FieldClasses(ctx))
    migrations = []
    for migration in order(read):
        if migration.module is None:
            migrations.append(Migration(migration.path, NAME, (), (migration.error,)))  # type: ignore[arg-type]
            continue
        migrations.append(_Walker(migration, state, ctx).run().migration(NAME))
    return migrations
