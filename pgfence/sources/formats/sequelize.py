"""Sequelize migrations (sequelize-cli / umzug), read with tree-sitter, never run.

`queryInterface.*` calls become the SQL Sequelize 6's postgres query generator emits
(checked against sequelize in a dev test); `queryInterface.sequelize.query(...)` is sent as
written. Sequelize adds no transaction: statements autocommit, except inside a
`queryInterface.sequelize.transaction(async (t) => {...})` callback, one transaction.
"""

from __future__ import annotations

import re
from typing import Any

from pgfence.model import AUTOCOMMIT, Location, Migration, Transaction
from pgfence.sources.formats import js
from pgfence.sources.formats.base import (
    JS_SUFFIXES,
    Extraction,
    LoadContext,
    Target,
    generated,
    js_migration_files,
    literal,
    mentions,
)

NAME = "sequelize"
_MARKERS = ("queryInterface", "QueryInterface")


def detect(target: Target) -> bool:
    return any(mentions(f, _MARKERS) for f in target.with_suffix(*JS_SUFFIXES))


def q(name: str) -> str:
    return '"' + str(name) + '"'


_TYPES = {
    "STRING": "VARCHAR(255)",
    "TEXT": "TEXT",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "SMALLINT": "SMALLINT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "TIMESTAMP WITH TIME ZONE",
    "DATEONLY": "DATE",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "UUID": "UUID",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE PRECISION",
    "DECIMAL": "DECIMAL",
    "CITEXT": "CITEXT",
}


def sql_type(value: Any) -> str:
    if not isinstance(value, js.Ref):
        if isinstance(value, str):
            return value
        raise js.Unknown("a column type pgfence cannot read")
    name = value.last
    if name == "STRING":
        return f"VARCHAR({value.args[0] if value.args else 255})"
    if name == "ARRAY" and value.args:
        return sql_type(value.args[0]) + "[]"
    if name == "DECIMAL" and value.args:
        return f"DECIMAL({', '.join(str(a) for a in value.args)})"
    if name == "ENUM":
        raise js.Unknown("an ENUM column (Sequelize creates its type first)")
    if name not in _TYPES:
        raise js.Unknown(f"the column type {value.name}")
    return _TYPES[name]


def attribute_sql(options: Any) -> str:
    if isinstance(options, js.Ref):
        options = {"type": options}
    text = sql_type(options["type"])
    if options.get("allowNull") is False:
        text += " NOT NULL"
    if options.get("autoIncrement"):
        text = {"INTEGER": "SERIAL", "BIGINT": "BIGSERIAL"}.get(text, text)
    if "defaultValue" in options:
        default = options["defaultValue"]
        if isinstance(default, js.Ref):
            if default.last == "NOW":
                default_sql = "NOW()"
            elif default.last == "literal" and default.args:
                default_sql = str(default.args[0])
            else:
                raise js.Unknown(f"the default {default.name}")
        else:
            default_sql = literal(default)
        text += f" DEFAULT {default_sql}"
    references = options.get("references")
    if isinstance(references, dict):
        model = references.get("model")
        table = model if isinstance(model, str) else (model or {}).get("tableName")
        text += f" REFERENCES {q(str(table))} ({q(references.get('key', 'id'))})"
        if options.get("onDelete"):
            text += f" ON DELETE {str(options['onDelete']).upper()}"
        if options.get("onUpdate"):
            text += f" ON UPDATE {str(options['onUpdate']).upper()}"
    return text


def table_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["tableName"])
    return str(value)


_REPLACEMENT = re.compile(r"(?<![:\w]):(\w+)|\?")
_BIND = re.compile(r"\$(\w+)")


def with_values(sql: str, options: dict[str, Any]) -> str:
    """sequelize.query(sql, { replacements | bind }) as the database gets it: replacements
    for `?` (an array) or `:name` (an object), bind parameters for `$1` or `$name`."""
    replacements = options.get("replacements")
    if isinstance(replacements, list):
        values = iter(replacements)

        def positional(match: re.Match[str]) -> str:
            if match.group(0) != "?":
                return match.group(0)
            try:
                return js.sql_literal(next(values))
            except StopIteration:
                raise js.Unknown("fewer replacements than placeholders") from None

        sql = _REPLACEMENT.sub(positional, sql)
    elif isinstance(replacements, dict):
        sql = _REPLACEMENT.sub(
            lambda m: (
                js.sql_literal(replacements[m.group(1)])
                if m.group(1) in replacements
                else m.group(0)
            ),
            sql,
        )
    elif replacements is not None:
        raise js.Unknown("replacements that are not an array or an object")
    bind = options.get("bind")
    if bind is not None:
        if not isinstance(bind, list | dict):
            raise js.Unknown("bind parameters that are not an array or an object")

        def bound(match: re.Match[str]) -> str:
            key = match.group(1)
            if isinstance(bind, list):
                if not key.isdigit() or not 1 <= int(key) <= len(bind):
                    return match.group(0)
                return js.sql_literal(bind[int(key) - 1])
            return js.sql_literal(bind[key]) if key in bind else match.group(0)

        sql = _BIND.sub(bound, sql)
    return sql


class Translator:
    def translate(self, method: str, args: list[Any]) -> list[str]:
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            raise js.Unknown(f"queryInterface.{method} is not translated by pgfence")
        out: list[str] = handler(*args)
        return out

    def m_addColumn(self, table: Any, name: Any, options: Any, *rest: Any) -> list[str]:
        return [
            f'ALTER TABLE "public".{q(table_of(table))} '
            f"ADD COLUMN {q(name)} {attribute_sql(options)}"
        ]

    def m_removeColumn(self, table: Any, name: Any, *rest: Any) -> list[str]:
        return [f'ALTER TABLE "public".{q(table_of(table))} DROP COLUMN {q(name)}']

    def m_changeColumn(self, table: Any, name: Any, options: Any, *rest: Any) -> list[str]:
        if isinstance(options, js.Ref):
            options = {"type": options}
        prefix = f"ALTER TABLE {q(table_of(table))} ALTER COLUMN {q(name)}"
        out = [
            f"{prefix} {'DROP' if options.get('allowNull', True) is not False else 'SET'} NOT NULL"
        ]
        if "defaultValue" in options:
            out.append(f"{prefix} SET DEFAULT {literal(options['defaultValue'])}")
        else:
            out.append(f"{prefix} DROP DEFAULT")
        out.append(f"{prefix} TYPE {sql_type(options['type'])}")
        return out

    def m_renameColumn(self, table: Any, old: Any, new: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(table))} RENAME COLUMN {q(old)} TO {q(new)}"]

    def m_addIndex(
        self, table: Any, fields_or_options: Any, options: Any = None, *rest: Any
    ) -> list[str]:
        table = table_of(table)
        if isinstance(fields_or_options, list):
            options = {
                **(options if isinstance(options, dict) else {}),
                "fields": fields_or_options,
            }
        else:
            options = fields_or_options
        fields = [f if isinstance(f, str) else f["name"] for f in options["fields"]]
        name = options.get("name") or f"{table}_{'_'.join(fields)}"
        unique = options.get("unique") or str(options.get("type", "")).upper() == "UNIQUE"
        text = (
            f"CREATE {'UNIQUE ' if unique else ''}INDEX"
            f"{' CONCURRENTLY' if options.get('concurrently') else ''} {q(name)} ON {q(table)}"
        )
        if options.get("using"):
            text += f" USING {options['using']}"
        text += f" ({', '.join(q(f) for f in fields)})"
        where = options.get("where")
        if isinstance(where, dict):
            clauses = [
                f"{q(k)} IS NULL" if v is None else f"{q(k)} = {literal(v)}"
                for k, v in where.items()
            ]
            text += " WHERE " + " AND ".join(clauses)
        return [text]

    def m_removeIndex(self, table: Any, name: Any, options: Any = None, *rest: Any) -> list[str]:
        if isinstance(name, list):
            name = f"{table_of(table)}_{'_'.join(name)}"
        concurrently = (
            "CONCURRENTLY " if isinstance(options, dict) and options.get("concurrently") else ""
        )
        return [f"DROP INDEX {concurrently}IF EXISTS {q(name)}"]

    def m_addConstraint(self, table: Any, options: Any, *rest: Any) -> list[str]:
        table = table_of(table)
        kind = str(options["type"]).lower()
        fields = [str(f) for f in options["fields"]]
        cols = ", ".join(q(f) for f in fields)
        if kind == "foreign key":
            ref = options["references"]
            name = options.get("name") or f"{table}_{'_'.join(fields)}_{ref['table']}_fk"
            text = (
                f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} FOREIGN KEY ({cols}) "
                f"REFERENCES {q(ref['table'])} ({q(ref['field'])})"
            )
            for option, words in (("onDelete", "ON DELETE"), ("onUpdate", "ON UPDATE")):
                if options.get(option):
                    text += f" {words} {str(options[option]).upper()}"
            return [text]
        if kind == "unique":
            name = options.get("name") or f"{table}_{'_'.join(fields)}_uk"
            return [f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} UNIQUE ({cols})"]
        if kind == "primary key":
            name = options.get("name") or f"{table}_{'_'.join(fields)}_pk"
            return [f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} PRIMARY KEY ({cols})"]
        raise js.Unknown(f"an addConstraint of type {kind!r}")

    def m_removeConstraint(self, table: Any, name: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(table))} DROP CONSTRAINT {q(name)}"]

    def m_renameTable(self, old: Any, new: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(old))} RENAME TO {q(table_of(new))}"]

    def m_dropTable(self, table: Any, *rest: Any) -> list[str]:
        return [f"DROP TABLE IF EXISTS {q(table_of(table))}"]

    def m_createTable(self, table: Any, attributes: Any, *rest: Any) -> list[str]:
        columns = []
        primary = []
        for name, options in attributes.items():
            options = options if isinstance(options, dict) else {"type": options}
            if options.get("primaryKey"):
                primary.append(name)
            column = f"{q(name)} {attribute_sql(options)}"
            # Sequelize writes a serial column as `"id"  SERIAL ,`: keep its text exact.
            columns.append(column + " " if column.endswith("SERIAL") else column)
        if primary:
            columns.append(f"PRIMARY KEY ({', '.join(q(p) for p in primary)})")
        return [f"CREATE TABLE IF NOT EXISTS {q(table_of(table))} ({', '.join(columns)})"]


class _Walker(js.Walker):
    def __init__(self, source: js.Source, out: Extraction, qi: str, ctx: LoadContext) -> None:
        super().__init__(source, out)
        self.qi = qi
        self.ctx = ctx
        self.transaction: Transaction = AUTOCOMMIT
        self.translator = Translator()

    def call(self, node: js.Node) -> bool:
        root, links = js.chain(node)
        if js.text(root) != self.qi or not links:
            return False
        names = [name for name, _ in links]
        if names[:2] == ["sequelize", "transaction"] and len(names) == 2:
            self.transaction_callback(links[1][1])
            return True
        method = names[-1]
        origin = f"{self.qi}." + ".".join(names)
        ignored = self.ignored(node)

        def translate(where: Location) -> None:
            args = [self.scope.value(a) for a in js.arguments(node)]
            # Only calls given `{ transaction }` run in the callback's transaction (without
            # CLS, the others take another connection and autocommit).
            passed = any(isinstance(a, dict) and "transaction" in a for a in args)
            transaction = self.transaction if passed else AUTOCOMMIT
            if names[:2] == ["sequelize", "query"]:
                sql = args[0] if args else ""
                options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                if isinstance(sql, str):
                    sql = with_values(sql, options)
                self.raw_sql(sql, where, transaction, origin, ignored)
            else:
                sql_list = self.translator.translate(method, args)
                self.out.add(
                    [
                        generated(s, where, transaction, origin, ignored, self.out.budget)
                        for s in sql_list
                    ]
                )

        return self.extract(node, origin, translate)

    def transaction_callback(self, call: js.Node) -> None:
        function = next(
            (a for a in js.arguments(call) if a.type in ("arrow_function", "function_expression")),
            None,
        )
        if function is None:
            self.out.gap(
                self.source.location(call),
                "an unmanaged transaction: pgfence does not follow "
                "commit()/rollback(); its statements are treated as autocommitted",
            )
            return
        outer = self.transaction
        self.transaction = self.ctx.runner_transaction()
        body = function.child_by_field_name("body")
        if body is not None:
            self.body(body)
        self.transaction = outer


def read(path: str, ctx: LoadContext) -> Migration:
    source = js.Source(path, ctx.read(path))
    out = Extraction(path)
    root, up = js.parse_migration(source, out)
    if up is not None:
        walker = _Walker(source, out, js.first_param(up) or "queryInterface", ctx)
        walker.walk_up(root, up)
    return out.migration(NAME)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    pattern = "<timestamp>-<name>.js with up(queryInterface)"
    found = js_migration_files(target, _MARKERS, "Sequelize", pattern, by_name=True)
    return [read(path, ctx) for path in found]
