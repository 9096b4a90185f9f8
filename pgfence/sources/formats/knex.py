"""Knex migrations (JS or TS), read with tree-sitter, never run.

`knex.schema` builder chains become the SQL knex's pg dialect compiles them to (checked
against knex 3 in a dev test); `knex.raw` / `knex.schema.raw` strings are sent as written.
knex runs each migration in its own transaction unless the file exports
`config = { transaction: false }`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pgfence.model import AUTOCOMMIT, Location, Migration, Transaction
from pgfence.sources.formats import js
from pgfence.sources.formats.base import (
    JS_SUFFIXES,
    SAFE_READ,
    SAFE_WHERE,
    Extraction,
    LoadContext,
    Target,
    generated,
    js_migration_files,
    mentions,
    with_placeholders,
)

NAME = "knex"
_MARKERS = ("knex.schema", "Knex", "knex.raw", "function (knex", "function(knex", "(knex)")


def detect(target: Target) -> bool:
    return any(mentions(f, _MARKERS) for f in target.with_suffix(*JS_SUFFIXES))


def q(name: str) -> str:
    return ".".join('"' + part + '"' for part in str(name).split("."))


_POSITIONAL = re.compile(r"\\\?|\?\??")
_NAMED = re.compile(r"(?<![:\w]):(\w+)(:?)")


def with_bindings(sql: str, bindings: Any) -> str:
    """knex.raw(sql, bindings) as the database gets it: `?` a value and `??` an
    identifier from a list, `:name` a value and `:name:` an identifier from an object."""
    if isinstance(bindings, list):
        values = iter(bindings)

        def positional(match: re.Match[str]) -> str:
            if match.group(0) == "\\?":
                return "?"
            try:
                value = next(values)
            except StopIteration:
                raise js.Unknown("knex.raw bindings fewer than its placeholders") from None
            return _identifier(value) if match.group(0) == "??" else js.sql_literal(value)

        return _POSITIONAL.sub(positional, sql)
    if isinstance(bindings, dict):

        def named(match: re.Match[str]) -> str:
            if match.group(1) not in bindings:
                return match.group(0)  # not a binding (a cast is written ::type)
            value = bindings[match.group(1)]
            return _identifier(value) if match.group(2) else js.sql_literal(value)

        return _NAMED.sub(named, sql)
    raise js.Unknown("knex.raw bindings that are not an array or an object")


def _identifier(value: Any) -> str:
    if not isinstance(value, str):
        raise js.Unknown("a knex.raw identifier binding that is not a string")
    return ".".join('"' + part.replace('"', '""') + '"' for part in value.split("."))


def _between(column: str, args: list[Any]) -> str:
    low, high = args[0]
    return f"{column} between {low} and {high}"


# Column check modifiers: the condition knex writes for each.
_COLUMN_CHECKS: dict[str, Any] = {
    "checkPositive": lambda c, args: f"{c} > 0",
    "checkNegative": lambda c, args: f"{c} < 0",
    "checkLength": lambda c, args: f"length({c}) {args[0]} {args[1]}",
    "checkBetween": _between,
    "checkIn": lambda c, args: f"{c} in ({','.join(value_sql(v) for v in args[0])})",
    "checkNotIn": lambda c, args: f"{c} not in ({','.join(value_sql(v) for v in args[0])})",
}


def _predicate(value: Any) -> str:
    """An index predicate, `knex.whereNotNull('col')` and the like, as knex writes it."""
    if isinstance(value, js.Ref) and value.args:
        column = q(str(value.args[0]))
        if value.last == "whereNotNull":
            return f"where {column} is not null"
        if value.last == "whereNull":
            return f"where {column} is null"
        if value.last == "where" and len(value.args) == 2:
            return f"where {column} = {value_sql(value.args[1])}"
    raise js.Unknown("an index predicate pgfence cannot read")


def value_sql(value: Any, sql_type: str = "") -> str:
    if isinstance(value, js.Ref):
        if value.name.endswith("fn.now"):
            return "CURRENT_TIMESTAMP"
        if value.last == "raw" and value.args:
            return str(value.args[0])
        raise js.Unknown(f"the default `{value.name}`")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"'{int(value)}'" if sql_type == "boolean" else f"'{str(value).lower()}'"
    return "'" + str(value).replace("'", "''") + "'"


_TYPES = {
    "integer": "integer",
    "bigInteger": "bigint",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "smallint",
    "mediumint": "integer",
    "text": "text",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "json": "json",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "binary": "bytea",
    "double": "double precision",
    "float": "real",
}


@dataclass
class Column:
    name: str
    sql_type: str
    nullable: bool = True
    default: str | None = None
    primary: bool = False
    alter: bool = False
    check: str | None = None
    statements: list[str] = field(default_factory=list)  # index/unique/foreign added by modifiers
    explicit_null: bool = False  # .nullable(): knex writes ` null`
    comment: str | None = None
    alter_nullable: bool = True  # .alter({ alterNullable: false }) leaves NULL alone
    alter_type: bool = True
    checks: list[str] = field(default_factory=list)  # .checkPositive() and the like

    def ddl(self) -> str:
        text = f"{q(self.name)} {self.sql_type}"
        if self.check:
            text += f" check ({self.check})"
        if not self.nullable:
            text += " not null"
        elif self.explicit_null:
            text += " null"
        if self.default is not None:
            text += f" default {self.default}"
        if self.primary:
            text += " primary key"
        text += "".join(f" check ({check})" for check in self.checks)
        return text


class TableBuilder:
    """The callback of createTable/alterTable: its columns and statements, in order."""

    def __init__(self, table: str, create: bool) -> None:
        self.table = table
        self.create = create
        self.columns: list[Column] = []
        self.statements: list[str] = []
        self.before: list[str] = []  # knex's unshiftQuery: native enum types
        self.comment: str | None = None  # the table's
        self.primary_key: str | None = None  # `constraint … primary key (…)` of createTable
        self.checks: list[str] = []  # table.check() in createTable: inside it, last

    def column_type(self, method: str, args: list[Any]) -> Column | None:
        name = str(args[0]) if args else ""
        if method in ("increments", "bigIncrements"):
            options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            return Column(
                name or "id",
                "serial" if method == "increments" else "bigserial",
                primary=options.get("primaryKey", True) is not False,
            )
        if method == "string":
            return Column(name, f"varchar({args[1] if len(args) > 1 else 255})")
        if method in ("timestamp", "datetime"):
            second = args[1] if len(args) > 1 else False
            if isinstance(second, dict):
                use_tz, precision = second.get("useTz", True), second.get("precision")
            else:
                use_tz, precision = not second, args[2] if len(args) > 2 else None
            sql_type = "timestamptz" if use_tz is not False else "timestamp"
            return Column(name, sql_type + (f"({precision})" if precision is not None else ""))
        if method == "decimal":
            precision = args[1] if len(args) > 1 else 8
            scale = args[2] if len(args) > 2 else 2
            return Column(name, f"decimal({precision}, {scale})")
        if method in ("enu", "enum"):
            options = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
            if options.get("useNative"):
                enum = f'"{options["enumName"]}"'
                if options.get("schemaName"):
                    enum = f'"{options["schemaName"]}".{enum}'
                if not options.get("existingType"):
                    labels = "', '".join(str(v) for v in args[1])
                    self.before.insert(0, f"create type {enum} as enum ('{labels}')")
                return Column(name, enum)
            values = ", ".join(value_sql(v) for v in args[1])
            return Column(name, "text", check=f"{q(name)} in ({values})")
        if method == "specificType":
            return Column(name, str(args[1]))
        if method in _TYPES:
            return Column(name, _TYPES[method])
        return None

    def modifier(self, column: Column, method: str, args: list[Any], link: dict[str, Any]) -> None:
        if method == "notNullable":
            column.nullable = False
        elif method == "nullable":
            column.nullable = True
            column.explicit_null = True
        elif method == "defaultTo":
            column.default = value_sql(args[0], column.sql_type)
        elif method == "primary":
            if column.sql_type in ("serial", "bigserial"):
                column.primary = True
            else:  # a table-level constraint, `<table>_pkey`
                self.table_method("primary", [[column.name], *args])
        elif method == "alter":
            column.alter = True
            options = args[0] if args and isinstance(args[0], dict) else {}
            column.alter_nullable = options.get("alterNullable", True) is not False
            column.alter_type = options.get("alterType", True) is not False
        elif method == "unique":
            name = (
                args[0]
                if args and isinstance(args[0], str)
                else f"{self.table}_{column.name}_unique"
            )
            self.statements.append(
                f"alter table {q(self.table)} add constraint {q(name)} unique ({q(column.name)})"
            )
        elif method == "index":
            name = (
                args[0]
                if args and isinstance(args[0], str)
                else f"{self.table}_{column.name}_index"
            )
            self.statements.append(f"create index {q(name)} on {q(self.table)} ({q(column.name)})")
        elif method == "references":
            target = str(args[0][0] if isinstance(args[0], list) else args[0])
            table, _, ref_column = target.rpartition(".")
            link.setdefault("column", column.name)
            link.update(ref_table=table or None, ref_column=ref_column)
            if "slot" not in link:  # the place of the foreign key, filled in at the end
                self.statements.append("")
                link["slot"] = len(self.statements) - 1
        elif method == "inTable":
            link["ref_table"] = str(args[0])
        elif method in ("onDelete", "onUpdate", "deferrable"):
            link[method] = str(args[0])
        elif method == "comment":
            column.comment = str(args[0]) if args and args[0] else None
        elif method.startswith("check") and method in _COLUMN_CHECKS:
            if len(args) > (1 if method in ("checkPositive", "checkNegative") else 2):
                raise js.Unknown(f"a named .{method}() (knex writes it apart)")
            column.checks.append(_COLUMN_CHECKS[method](q(column.name), args))
        elif method in ("unsigned", "collate", "first", "after"):
            return
        else:
            raise js.Unknown(f"the column modifier .{method}()")

    def foreign(self, link: dict[str, Any]) -> None:
        name = link.get("name") or f"{self.table}_{link['column']}_foreign"
        text = (
            f"alter table {q(self.table)} add constraint {q(name)} "
            f"foreign key ({q(link['column'])}) "
            f"references {q(link['ref_table'])} ({q(link['ref_column'])})"
        )
        if link.get("onDelete"):
            text += f" on delete {link['onDelete']}"
        if link.get("onUpdate"):
            text += f" on update {link['onUpdate']}"
        if link.get("deferrable"):
            text += f" deferrable initially {link['deferrable']}"
        self.statements[link["slot"]] = text

    def table_method(self, method: str, args: list[Any]) -> None:
        table = q(self.table)

        def cols(value: Any) -> list[str]:
            return [str(v) for v in (value if isinstance(value, list) else [value])]

        if method == "index" or method == "unique":
            columns = cols(args[0])
            given = args[1] if len(args) > 1 else None
            options = given if isinstance(given, dict) else {}
            if method == "index" and len(args) > 2:
                third = args[2]
                options = third if isinstance(third, dict) else {"storageEngineIndexType": third}
            name = given if isinstance(given, str) else options.get("indexName")
            quoted = ", ".join(q(c) for c in columns)
            predicate = options.get("predicate")
            where = f" {_predicate(predicate)}" if predicate is not None else ""
            if method == "unique":
                name = name or f"{self.table}_{'_'.join(columns)}_unique"
                deferrable = options.get("deferrable")
                use_constraint = options.get("useConstraint")
                if use_constraint is None:
                    use_constraint = bool(deferrable) or predicate is None
                if use_constraint:
                    later = f" deferrable initially {deferrable}" if deferrable else ""
                    self.statements.append(
                        f"alter table {table} add constraint {q(name)} unique ({quoted}){later}"
                    )
                else:
                    self.statements.append(
                        f"create unique index {q(name)} on {table} ({quoted}){where}"
                    )
                return
            name = name or f"{self.table}_{'_'.join(columns)}_index"
            index_type = options.get("storageEngineIndexType")
            using = f" using {index_type}" if index_type else ""
            unique = "unique " if str(options.get("indexType", "")).lower() == "unique" else ""
            self.statements.append(
                f"create {unique}index {q(name)} on {table}{using} ({quoted}){where}"
            )
        elif method == "dropColumn" or method == "dropColumns":
            dropped = ", ".join(f"drop column {q(column)}" for column in args)
            self.statements.append(f"alter table {table} {dropped}")
        elif method == "renameColumn":
            self.statements.append(f"alter table {table} rename {q(args[0])} to {q(args[1])}")
        elif method in ("dropIndex", "dropUnique", "dropForeign"):
            suffix = {"dropIndex": "index", "dropUnique": "unique", "dropForeign": "foreign"}[
                method
            ]
            name = (
                args[1]
                if len(args) > 1 and args[1]
                else f"{self.table}_{'_'.join(cols(args[0]))}_{suffix}"
            )
            if method == "dropIndex":
                self.statements.append(f"drop index {q(name)}")
            else:
                self.statements.append(f"alter table {table} drop constraint {q(name)}")
        elif method in ("setNullable", "dropNullable"):
            verb = "drop" if method == "setNullable" else "set"
            self.statements.append(f"alter table {table} alter column {q(args[0])} {verb} not null")
        elif method == "primary":
            given = args[1] if len(args) > 1 else None
            options = given if isinstance(given, dict) else {}
            name = given if isinstance(given, str) else options.get("constraintName")
            name = name or f"{self.table.rsplit('.', 1)[-1]}_pkey"
            deferrable = options.get("deferrable")
            later = f" deferrable initially {deferrable}" if deferrable else ""
            quoted = ", ".join(q(c) for c in cols(args[0]))
            if self.create:
                self.primary_key = f"constraint {q(name)} primary key ({quoted}){later}"
            else:
                self.statements.append(
                    f"alter table {table} add constraint {q(name)} primary key ({quoted}){later}"
                )
        elif method == "comment":
            self.comment = str(args[0])
        elif method == "dropPrimary":
            name = args[0] if args and isinstance(args[0], str) else f"{self.table}_pkey"
            self.statements.append(f"alter table {table} drop constraint {q(name)}")
        elif method == "check" and args and isinstance(args[0], str):
            bindings = args[1] if len(args) > 1 else []
            check = with_bindings(args[0], bindings) if bindings else args[0]
            name = args[2] if len(args) > 2 and args[2] else None
            if name is None:
                raise js.Unknown("table.check() without a name (knex generates one)")
            if self.create:
                self.checks.append(f"constraint {name} check ({check})")
            else:
                self.statements.append(f"alter table {table} add constraint {name} check({check})")
        elif method == "dropChecks" and args:
            names = args[0] if isinstance(args[0], list) else list(args)
            for name in names:
                self.statements.append(f"alter table {table} drop constraint {name}")
        elif method == "timestamps":
            sql_type = "timestamptz"  # knex's timestamp and datetime both, on PostgreSQL
            default_now = len(args) > 1 and bool(args[1])
            for name in ("created_at", "updated_at"):
                column = Column(name, sql_type)
                if default_now:
                    column.nullable, column.default = False, "CURRENT_TIMESTAMP"
                self.columns.append(column)
        elif method == "dropTimestamps":
            self.statements.append(
                f'alter table {table} drop column "created_at", drop column "updated_at"'
            )
        else:
            raise js.Unknown(f"table.{method}() is not translated by pgfence")

    def sql(self, if_not_exists: bool = False) -> list[str]:
        table = q(self.table)
        added = [c for c in self.columns if not c.alter]
        altered = [c for c in self.columns if c.alter]
        out = []
        out = list(self.before)
        if self.create:
            exists = " if not exists" if if_not_exists else ""
            body = ", ".join(c.ddl() for c in added)
            if self.primary_key:
                body += f", {self.primary_key}"
            body += "".join(f", {check}" for check in self.checks)
            out.append(f"create table{exists} {table} ({body})")
            if self.comment is not None:
                out.append(f"comment on table {table} is {value_sql(self.comment)}")
        elif added:
            out.append(f"alter table {table} " + ", ".join(f"add column {c.ddl()}" for c in added))
        out += [
            f"comment on column {table}.{q(c.name)} is {value_sql(c.comment)}"
            for c in added
            if c.comment is not None
        ]
        for column in altered:
            name = q(column.name)
            prefix = f"alter table {table} alter column {name}"
            out.append(f"{prefix} drop default")
            if column.alter_nullable:
                out.append(f"{prefix} drop not null")
            if column.alter_type:
                out.append(f"{prefix} type {column.sql_type} using ({name}::{column.sql_type})")
            if column.default is not None:
                out.append(f"{prefix} set default {column.default}")
            if not column.nullable and column.alter_nullable:
                out.append(f"{prefix} set not null")
        return out + [s for s in self.statements if s]


class _Walker(js.Walker):
    def __init__(
        self, source: js.Source, out: Extraction, knex: str, transaction: Transaction
    ) -> None:
        super().__init__(source, out)
        self.knex = knex
        self.transaction = transaction

    def call(self, node: js.Node) -> bool:
        root, links = js.chain(node)
        if js.text(root) != self.knex or not links:
            return False
        origin = f"{self.knex}." + ".".join(name for name, _ in links if name)
        ignored = self.ignored(node)

        def translate(where: Location) -> None:
            if links[0][0] == "raw":
                self.raw(links[0][1], where, origin, ignored)
            elif links[0][0] == "schema":
                self.schema(links[1:], where, origin, ignored)
            else:
                self.data(links, where, origin, ignored)

        if not links[0][0]:
            origin = f"{self.knex}({js.text(links[0][1].child_by_field_name('arguments'))[1:-1]})"
            origin += "".join(f".{name}()" for name, _ in links[1:])
        return self.extract(node, origin, translate)

    def data(
        self,
        links: list[tuple[str, js.Node]],
        where: Location,
        origin: str,
        ignored: frozenset[str],
    ) -> None:
        """`knex('t').where(…).update(…)` and the like; a value known only at run time is
        NULL, with its finding (the table, the columns and the kind must be in the file)."""
        builder = QueryBuilder()
        for method, call in links:
            args = [self.run_time_value(a) for a in js.arguments(call)]
            if not method:
                builder.table = _text(args[0], "the table") if args else None
            else:
                builder.apply(method, args)
        statement = generated(
            builder.sql(), where, self.transaction, origin, ignored, self.out.budget
        )
        if not builder.unknown:
            self.out.add([statement])
            return
        statement, finding = with_placeholders(statement, builder.unknown, builder.safe())
        self.out.add([statement], [finding])

    def raw(self, call: js.Node, where: Location, origin: str, ignored: frozenset[str]) -> None:
        args = js.arguments(call)
        value = self.scope.value(args[0]) if args else ""
        if len(args) > 1 and isinstance(value, str):
            value = with_bindings(value, self.scope.value(args[1]))
        self.raw_sql(value, where, self.transaction, origin, ignored)

    def schema(
        self, links: list[tuple[str, js.Node]], where: Any, origin: str, ignored: frozenset[str]
    ) -> None:
        schema_name: str | None = None
        for method, call in links:
            args_nodes = js.arguments(call)
            sql: list[str] = []
            if method == "withSchema":
                schema_name = str(self.scope.value(args_nodes[0]))
                continue
            if method == "raw":
                self.raw(call, where, origin, ignored)
                continue
            table = str(self.scope.value(args_nodes[0])) if args_nodes else ""
            if schema_name and method not in ("renameTable",):
                table = f"{schema_name}.{table}"
            if method in ("createTable", "createTableIfNotExists", "alterTable", "table"):
                builder = TableBuilder(table, create=method.startswith("createTable"))
                self.callback(builder, args_nodes[1])
                sql = builder.sql(if_not_exists=method == "createTableIfNotExists")
            elif method in ("dropTable", "dropTableIfExists"):
                sql = [
                    f"drop table{' if exists' if method == 'dropTableIfExists' else ''} {q(table)}"
                ]
            elif method == "renameTable":
                sql = [f"alter table {q(table)} rename to {q(self.scope.value(args_nodes[1]))}"]
            elif method in ("createSchema", "createSchemaIfNotExists"):
                exists = " if not exists" if method.endswith("IfNotExists") else ""
                sql = [f"create schema{exists} {q(table)}"]
            elif method in ("dropSchema", "dropSchemaIfExists"):
                exists = " if exists" if method.endswith("IfExists") else ""
                cascade = (
                    " cascade" if len(args_nodes) > 1 and self.scope.value(args_nodes[1]) else ""
                )
                sql = [f"drop schema{exists} {q(table)}{cascade}"]
            elif method in ("hasTable", "hasColumn"):
                raise js.Unknown(f"schema.{method}(): a condition known only at run time")
            else:
                raise js.Unknown(f"schema.{method}() is not translated by pgfence")
            self.out.add(
                [
                    generated(s, where, self.transaction, origin, ignored, self.out.budget)
                    for s in sql
                ]
            )

    def callback(self, builder: TableBuilder, function: js.Node) -> None:
        param = js.first_param(function) or "table"
        body = function.child_by_field_name("body")
        self.table_statements(builder, param, js.statements_of(body))

    def table_statements(
        self, builder: TableBuilder, param: str, statements: list[js.Node]
    ) -> None:
        for statement in statements:
            if statement.type == "statement_block":
                self.table_statements(builder, param, js.statements_of(statement))
                continue
            chosen = js.postgres_branch(statement, self.declared)
            if chosen is not None:  # `if (db.type === 'mysql') {…} else {…}` in the callback
                self.table_statements(builder, param, chosen)
                continue
            node = js.unwrap(statement)
            if node.type != "call_expression":
                raise js.Unknown(f"`{js.text(node)[:40]}` in a table callback")
            root, links = js.chain(node)
            if js.text(root) != param:
                raise js.Unknown(f"`{js.text(node)[:40]}` in a table callback")
            first, *modifiers = links
            args = [self.scope.value(a) for a in js.arguments(first[1])]
            if first[0] == "foreign":
                local = args[0][0] if isinstance(args[0], list) and len(args[0]) == 1 else args[0]
                if isinstance(local, list):
                    raise js.Unknown("a foreign key of several columns")
                link: dict[str, Any] = {"column": str(local)}
                if len(args) > 1 and isinstance(args[1], str):
                    link["name"] = args[1]
                builder.statements.append("")
                link["slot"] = len(builder.statements) - 1
                for method, call in modifiers:
                    builder.modifier(
                        Column("", ""),
                        method,
                        [self.scope.value(a) for a in js.arguments(call)],
                        link,
                    )
                builder.foreign(link)
                continue
            column = builder.column_type(first[0], args)
            if column is None:
                builder.table_method(first[0], args)
                continue
            builder.columns.append(column)
            link = {}
            for method, call in modifiers:
                builder.modifier(
                    column, method, [self.scope.value(a) for a in js.arguments(call)], link
                )
            if link:
                builder.foreign(link)


def _transaction(root: js.Node, ctx: LoadContext) -> Transaction:
    for node in js.walk(root):
        if (
            node.type == "pair"
            and js.text(node.child_by_field_name("key")) == "transaction"
            and node.child_by_field_name("value").type == "false"
        ):
            return AUTOCOMMIT
    return ctx.runner_transaction()


def read(path: str, ctx: LoadContext) -> Migration:
    source = js.Source(path, ctx.read(path))
    out = Extraction(path)
    root, up = js.parse_migration(source, out)
    if up is not None:
        walker = _Walker(source, out, js.first_param(up) or "knex", _transaction(root, ctx))
        walker.walk_up(root, up)
    return out.migration(NAME)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    found = js_migration_files(target, _MARKERS, "Knex", "<timestamp>_<name>.js with up(knex)")
    return [read(path, ctx) for path in found]


# ---- data queries: knex('table')… -------------------------------------------------------


def binding_sql(value: Any) -> str:
    """A value bound to a knex query as the SQL literal of knex's pg `_escapeBinding`."""
    if isinstance(value, js.Ref):
        if value.name.endswith("fn.now"):
            return "CURRENT_TIMESTAMP"
        if value.last == "raw" and value.args and isinstance(value.args[0], str):
            raw = value.args[0]
            return with_bindings(raw, value.args[1]) if len(value.args) > 1 else raw
        raise js.Unknown(f"the value `{value.name}`, known only at run time")
    if isinstance(value, js.Dynamic):
        raise js.Unknown(f"a value built at run time (${{{value.substitutions[0]}}})")
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JavaScript prints 1.0 as 1
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return _escape_string(_array_string(value))
    if isinstance(value, dict):
        return _escape_string(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return _escape_string(str(value))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise js.Unknown(f"{what} of a data query, known only at run time")
    return value


def _escape_string(text: str) -> str:
    # knex doubles quotes and backslashes, and marks a string with a backslash E'…'
    escaped = "'" + text.replace("'", "''").replace("\\", "\\\\") + "'"
    return "E" + escaped if "\\" in text else escaped


def _array_string(values: list[Any]) -> str:
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, list):
            parts.append(_array_string(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(binding_sql(value))
        elif isinstance(value, str):
            parts.append(json.dumps(value, ensure_ascii=False))
        else:
            raise js.Unknown("an array value of a kind pgfence does not write")
    return "{" + ",".join(parts) + "}"


def _wrap(name: Any) -> str:
    """A column or table as knex wraps it: `t.a` -> "t"."a", `a as b` -> "a" as "b", `*`."""
    if isinstance(name, js.Ref) and name.last == "raw" and name.args:
        return binding_sql(name)
    if isinstance(name, int) and not isinstance(name, bool):
        return str(name)
    if not isinstance(name, str):
        raise js.Unknown("a column name that is not a string")
    alias = re.split(r"\s+as\s+", name.strip(), maxsplit=1, flags=re.I)
    if len(alias) == 2:
        return f"{_wrap(alias[0])} as {_wrap(alias[1])}"
    return ".".join(
        "*" if part == "*" else '"' + part.replace('"', '""') + '"' for part in name.split(".")
    )


def _names(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        out.extend(arg if isinstance(arg, list) else [arg])
    return out


_WHERES = ("where", "andWhere", "orWhere", "whereNot", "andWhereNot", "orWhereNot")
# whereIn, orWhereNotNull, andWhereBetween, whereRaw, …: (and/or, negated, kind)
_CONDITIONS = {
    f"{prefix}{'Not' if negated else ''}{kind}": (join, negated, kind)
    for join, prefix in (("and", "where"), ("and", "andWhere"), ("or", "orWhere"))
    for negated in (False, True)
    for kind in ("In", "Null", "Between", "Raw")
    if not (negated and kind == "Raw")
}


@dataclass
class QueryBuilder:
    """A knex query builder chain, method by method, compiled as knex's pg dialect does."""

    table: str | None = None
    schema: str | None = None
    method: str = "select"
    columns: list[str] = field(default_factory=list)
    distinct: bool = False
    wheres: list[tuple[str, str]] = field(default_factory=list)  # (and/or, condition)
    orders: list[str] = field(default_factory=list)
    limit: Any = None
    offset: Any = None
    data: Any = None
    returning: list[str] = field(default_factory=list)
    conflict: str = ""
    # Values known only at run time, written NULL: what they are, and where they went.
    unknown: list[str] = field(default_factory=list)
    null_in_where: bool = False
    raw_where: bool = False

    def bind(self, value: Any, in_where: bool = False) -> str:
        """`binding_sql`, or NULL for a value known only at run time (noted)."""
        what = js.run_time(value)
        if what is None:
            return binding_sql(value)
        self.unknown.append(what)
        self.null_in_where = self.null_in_where or in_where
        return "NULL"

    def safe(self) -> str | None:
        """Why NULL in place of the run-time values makes the statement write no row."""
        if self.method == "select":
            return SAFE_READ
        if (
            self.method in ("update", "del")
            and self.null_in_where
            and not self.raw_where
            and all(join == "and" for join, _ in self.wheres[1:])
        ):
            return SAFE_WHERE
        return None

    def apply(self, method: str, args: list[Any]) -> None:
        if method in ("table", "from", "into"):
            self.table = _text(args[0], "the table")
        elif method == "withSchema":
            self.schema = _text(args[0], "the schema")
        elif method in ("select", "column", "columns"):
            self.columns += [_wrap(c) for c in _names(args)]
        elif method == "distinct":
            self.distinct = True
            self.columns += [_wrap(c) for c in _names(args)]
        elif method == "first":
            self.columns += [_wrap(c) for c in _names(args)]
            self.limit = 1
        elif method in _WHERES:
            self.where(method, args)
        elif method in _CONDITIONS:
            self.condition(*_CONDITIONS[method], args)
        elif method == "orderBy":
            direction = _text(args[1], "the order").lower() if len(args) > 1 else "asc"
            self.orders.append(f"{_wrap(args[0])} {direction}")
        elif method == "limit":
            self.limit = args[0]
        elif method == "offset":
            self.offset = args[0]
        elif method in ("insert", "update"):
            self.method = method
            if method == "update" and args and isinstance(args[0], str):  # .update('c', v)
                args = [{args[0]: args[1] if len(args) > 1 else None}, *args[2:]]
            self.data = args[0]
            if len(args) > 1:
                self.returning = [_wrap(c) for c in _names(args[1:2])]
        elif method in ("del", "delete"):
            self.method = "del"
            if args:
                self.returning = [_wrap(c) for c in _names(args[:1])]
        elif method == "returning":
            self.returning = [_wrap(c) for c in _names(args[:1])]
        elif method == "onConflict":
            self.conflict = " on conflict (" + ", ".join(_wrap(c) for c in _names(args)) + ")"
        elif method == "ignore" and self.conflict:
            self.conflict += " do nothing"
        else:
            raise js.Unknown(f"the query builder method .{method}() is not translated by pgfence")

    def where(self, method: str, args: list[Any]) -> None:
        join = "or" if method.startswith("or") else "and"
        negated = method.endswith("Not")
        if len(args) == 1 and isinstance(args[0], dict):
            for column, value in args[0].items():
                self.where(method, [column, value])
            return
        if len(args) == 1 and isinstance(args[0], bool):  # knex's where(true): 1 = 1
            args = [1, "=", int(args[0])]
        if len(args) == 2:
            if args[1] is None:
                self.condition(join, negated, "Null", args[:1])
                return
            args = [args[0], "=", args[1]]
        if len(args) != 3:
            raise js.Unknown(f"a .{method}() pgfence cannot read")
        column, operator, value = args
        operator = _text(operator, "an operator")
        if operator.lower().strip() in ("in", "not in"):
            self.condition(join, operator.lower().strip() != "in", "In", [column, value])
            return
        text = f"{_wrap(column)} {operator} {self.bind(value, in_where=True)}"
        self.wheres.append((join, f"not {text}" if negated else text))

    def condition(self, join: str, negated: bool, kind: str, args: list[Any]) -> None:
        """whereIn / whereNotIn / whereNull / whereNotNull / whereBetween / whereRaw."""
        if kind == "Raw":
            raw = args[0]
            if isinstance(raw, js.Dynamic | js.Ref):
                raise js.Unknown("a .whereRaw() built at run time")
            if not isinstance(raw, str):
                raise js.Unknown("a .whereRaw() that is not a string")
            self.raw_where = True
            self.wheres.append((join, with_bindings(raw, args[1]) if len(args) > 1 else raw))
            return
        column = _wrap(args[0])
        if kind == "In":
            values = args[1]
            if js.run_time(values) is not None:  # a list of values known only at run time
                values = [values]
            if not isinstance(values, list):
                raise js.Unknown("a .whereIn() list pgfence cannot read")
            if not values:  # knex writes an always-false (for not in: true) condition
                self.wheres.append((join, f"1 = {int(negated)}"))
                return
            listed = ", ".join(self.bind(v, in_where=True) for v in values)
            self.wheres.append((join, f"{column} {'not in' if negated else 'in'} ({listed})"))
        elif kind == "Null":
            self.wheres.append((join, f"{column} is {'not ' if negated else ''}null"))
        else:
            low, high = [args[1], args[1]] if js.run_time(args[1]) is not None else args[1]
            verb = "not between" if negated else "between"
            bounds = f"{self.bind(low, in_where=True)} and {self.bind(high, in_where=True)}"
            self.wheres.append((join, f"{column} {verb} {bounds}"))

    def sql(self) -> str:
        if not self.table:
            raise js.Unknown("a data query without a table")
        table = _wrap(f"{self.schema}.{self.table}" if self.schema else self.table)
        where = ""
        for index, (join, condition) in enumerate(self.wheres):
            where += f" where {condition}" if index == 0 else f" {join} {condition}"
        returning = f" returning {', '.join(self.returning)}" if self.returning else ""
        if self.method == "insert":
            return f"insert into {table} {self.insert_body()}{self.conflict}{returning}"
        if self.method == "update":
            if not isinstance(self.data, dict) or not self.data:
                raise js.Unknown("an .update() whose values are not an object literal")
            sets = ", ".join(f"{_wrap(k)} = {self.bind(v)}" for k, v in self.data.items())
            return f"update {table} set {sets}{where}{returning}"
        if self.method == "del":
            return f"delete from {table}{where}{returning}"
        columns = ", ".join(self.columns) or "*"
        text = f"select {'distinct ' if self.distinct else ''}{columns} from {table}{where}"
        if self.orders:
            text += " order by " + ", ".join(self.orders)
        if self.limit is not None:
            text += f" limit {self.bind(self.limit)}"
        if self.offset:
            text += f" offset {self.bind(self.offset)}"
        return text

    def insert_body(self) -> str:
        rows = self.data if isinstance(self.data, list) else [self.data]
        if not rows or not all(isinstance(row, dict) for row in rows):
            raise js.Unknown("an .insert() whose rows are not object literals")
        columns = sorted({key for row in rows for key in row})  # knex sorts the keys
        if not columns:
            return "default values"
        values = "), (".join(
            ", ".join(self.bind(row[c]) if c in row else "DEFAULT" for c in columns) for row in rows
        )
        return f"({', '.join(_wrap(c) for c in columns)}) values ({values})"
