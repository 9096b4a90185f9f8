"""TypeORM migrations (TS or compiled JS), read with tree-sitter, never run.

`queryRunner.query(...)` strings and template literals are the SQL sent (a `${}` becomes a
placeholder and an `unanalysable` finding); builder calls (`addColumn`, `createIndex`,
`createForeignKey`, …) become the SQL TypeORM's PostgresQueryRunner emits. TypeORM's
default `migrationsTransactionMode` "all" runs every pending migration in ONE transaction;
a migration with `transaction = false` needs mode "each" or "none" (mode "all" refuses
it) and then runs without one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pgfence.model import AUTOCOMMIT, Location, Migration, Transaction
from pgfence.sources import checks
from pgfence.sources.formats import js
from pgfence.sources.formats.base import (
    JS_SUFFIXES,
    Extraction,
    LoadContext,
    Target,
    generated,
    info,
    js_migration_files,
    mentions,
)

NAME = "typeorm"
_MARKERS = ("MigrationInterface", "QueryRunner", "queryRunner")


def detect(target: Target) -> bool:
    return any(mentions(f, _MARKERS) for f in target.with_suffix(*JS_SUFFIXES))


def q(name: str) -> str:
    return ".".join('"' + part + '"' for part in str(name).split("."))


def sha1_name(prefix: str, table: str, columns: list[str], length: int) -> str:
    key = f"{table.split('.')[-1]}_{'_'.join(sorted(columns))}"
    return prefix + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:length]


_TYPES = {
    "varchar": "character varying",
    "character varying": "character varying",
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bool": "boolean",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP WITH TIME ZONE",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "float": "double precision",
    "decimal": "numeric",
}


def column_sql(column: dict[str, Any]) -> str:
    name = column["name"]
    sql_type = _TYPES.get(str(column.get("type", "")).lower(), str(column.get("type")))
    generated_by = column.get("generationStrategy", "increment")
    if (
        column.get("isGenerated")
        and generated_by == "increment"
        and sql_type in ("integer", "bigint")
    ):
        sql_type = "SERIAL" if sql_type == "integer" else "BIGSERIAL"
    elif column.get("length"):
        sql_type += f"({column['length']})"
    elif column.get("precision") is not None:
        scale = f", {column['scale']}" if column.get("scale") is not None else ""
        sql_type += f"({column['precision']}{scale})"
    if column.get("isArray"):
        sql_type += " array"
    text = f"{q(name)} {sql_type}"
    if column.get("isNullable") is not True:
        text += " NOT NULL"
    default = column.get("default")
    if default is not None:
        text += f" DEFAULT {str(default).lower() if isinstance(default, bool) else default}"
    elif column.get("isGenerated") and generated_by == "uuid":
        text += " DEFAULT uuid_generate_v4()"
    return text


def _new(value: Any, cls: str) -> dict[str, Any]:
    """`new TableColumn({...})` or a plain object literal -> its options."""
    if (
        isinstance(value, js.Ref)
        and value.last == cls
        and value.args
        and isinstance(value.args[0], dict)
    ):
        return value.args[0]
    if isinstance(value, dict):
        return value
    raise js.Unknown(f"a {cls} that is not written out in the call")


def _table(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, js.Ref) and value.last == "Table" and value.args:
        return str(value.args[0]["name"])
    raise js.Unknown("a table given as a variable")


class Translator:
    """queryRunner builder calls -> SQL (TypeORM's PostgresQueryRunner)."""

    def translate(self, method: str, args: list[Any]) -> list[str]:
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            raise js.Unknown(f"queryRunner.{method} is not translated by pgfence")
        out: list[str] = handler(*args)
        return out

    def m_addColumn(self, table: Any, column: Any) -> list[str]:
        table = _table(table)
        options = _new(column, "TableColumn")
        out = [f"ALTER TABLE {q(table)} ADD {column_sql(options)}"]
        if options.get("isUnique"):
            name = sha1_name("UQ_", table, [options["name"]], 27)
            out.append(
                f'ALTER TABLE {q(table)} ADD CONSTRAINT "{name}" UNIQUE ({q(options["name"])})'
            )
        return out

    def m_addColumns(self, table: Any, columns: list[Any]) -> list[str]:
        return [sql for column in columns for sql in self.m_addColumn(table, column)]

    def m_dropColumn(self, table: Any, column: Any) -> list[str]:
        name = column if isinstance(column, str) else _new(column, "TableColumn")["name"]
        return [f"ALTER TABLE {q(_table(table))} DROP COLUMN {q(name)}"]

    def m_renameColumn(self, table: Any, old: Any, new: Any) -> list[str]:
        old_name = old if isinstance(old, str) else _new(old, "TableColumn")["name"]
        new_name = new if isinstance(new, str) else _new(new, "TableColumn")["name"]
        return [f"ALTER TABLE {q(_table(table))} RENAME COLUMN {q(old_name)} TO {q(new_name)}"]

    def m_changeColumn(self, table: Any, old: Any, new: Any) -> list[str]:
        table = _table(table)
        if isinstance(old, str):
            raise js.Unknown(
                "changeColumn with the old column given by name: TypeORM compares it with the "
                "live table (a type or length change drops and re-adds the column: data loss)"
            )
        before, after = _new(old, "TableColumn"), _new(new, "TableColumn")
        if before.get("type") != after.get("type") or before.get("length") != after.get("length"):
            return [
                f"ALTER TABLE {q(table)} DROP COLUMN {q(before['name'])}",
                f"ALTER TABLE {q(table)} ADD {column_sql(after)}",
            ]
        out = []
        if before["name"] != after["name"]:
            out += self.m_renameColumn(table, before["name"], after["name"])
        column = q(after["name"])
        if bool(before.get("isNullable")) != bool(after.get("isNullable")):
            verb = "DROP" if after.get("isNullable") else "SET"
            out.append(f"ALTER TABLE {q(table)} ALTER COLUMN {column} {verb} NOT NULL")
        if before.get("default") != after.get("default"):
            default = after.get("default")
            change = "DROP DEFAULT" if default is None else f"SET DEFAULT {default}"
            out.append(f"ALTER TABLE {q(table)} ALTER COLUMN {column} {change}")
        return out

    def m_createIndex(self, table: Any, index: Any) -> list[str]:
        table = _table(table)
        options = _new(index, "TableIndex")
        columns = [str(c) for c in options["columnNames"]]
        name = options.get("name") or sha1_name("IDX_", table, columns, 26)
        text = (
            f"CREATE {'UNIQUE ' if options.get('isUnique') else ''}INDEX"
            f'{" CONCURRENTLY" if options.get("isConcurrent") else ""} "{name}" ON {q(table)} '
            f"{'USING GiST ' if options.get('isSpatial') else ''}"
            f"({', '.join(q(c) for c in columns)})"
        )
        return [text + (f" WHERE {options['where']}" if options.get("where") else "")]

    def m_dropIndex(self, table: Any, index: Any) -> list[str]:
        if isinstance(index, str):
            return [f'DROP INDEX "{index}"']
        options = _new(index, "TableIndex")
        concurrently = "CONCURRENTLY " if options.get("isConcurrent") else ""
        return [f'DROP INDEX {concurrently}"{options["name"]}"']

    def m_createForeignKey(self, table: Any, key: Any) -> list[str]:
        table = _table(table)
        options = _new(key, "TableForeignKey")
        columns = [str(c) for c in options["columnNames"]]
        name = options.get("name") or sha1_name("FK_", table, columns, 27)
        text = (
            f'ALTER TABLE {q(table)} ADD CONSTRAINT "{name}" FOREIGN KEY '
            f"({', '.join(q(c) for c in columns)}) REFERENCES {q(options['referencedTableName'])}"
            f"({', '.join(q(c) for c in options['referencedColumnNames'])})"
        )
        for option, words in (("onDelete", "ON DELETE"), ("onUpdate", "ON UPDATE")):
            if options.get(option):
                text += f" {words} {options[option]}"
        if options.get("deferrable"):
            text += f" DEFERRABLE {options['deferrable']}"
        return [text]

    def m_createForeignKeys(self, table: Any, keys: list[Any]) -> list[str]:
        return [sql for key in keys for sql in self.m_createForeignKey(table, key)]

    def m_dropForeignKey(self, table: Any, key: Any) -> list[str]:
        name = key if isinstance(key, str) else _new(key, "TableForeignKey")["name"]
        return [f'ALTER TABLE {q(_table(table))} DROP CONSTRAINT "{name}"']

    def m_createUniqueConstraint(self, table: Any, unique: Any) -> list[str]:
        table = _table(table)
        options = _new(unique, "TableUnique")
        columns = [str(c) for c in options["columnNames"]]
        name = options.get("name") or sha1_name("UQ_", table, columns, 27)
        cols = ", ".join(q(c) for c in columns)
        return [f'ALTER TABLE {q(table)} ADD CONSTRAINT "{name}" UNIQUE ({cols})']

    def m_createCheck(self, table: Any, check: Any) -> list[str]:
        options = _new(check, "TableCheck")
        name = options.get("name")
        if not name:
            raise js.Unknown("a TableCheck without a name")
        return [
            f'ALTER TABLE {q(_table(table))} ADD CONSTRAINT "{name}" '
            f"CHECK ({options['expression']})"
        ]

    def m_createPrimaryKey(self, table: Any, columns: list[Any], name: Any = None) -> list[str]:
        table = _table(table)
        names = [str(c) for c in columns]
        name = name or sha1_name("PK_", table, names, 27)
        cols = ", ".join(q(c) for c in names)
        return [f'ALTER TABLE {q(table)} ADD CONSTRAINT "{name}" PRIMARY KEY ({cols})']

    def m_dropTable(self, table: Any, if_exists: Any = False, *rest: Any) -> list[str]:
        return [f"DROP TABLE{' IF EXISTS' if if_exists else ''} {q(_table(table))}"]

    def m_renameTable(self, old: Any, new: Any) -> list[str]:
        return [f"ALTER TABLE {q(_table(old))} RENAME TO {q(_table(new))}"]

    def m_createTable(self, table: Any, if_not_exists: Any = False, *rest: Any) -> list[str]:
        options = _new(table, "Table")
        name = str(options["name"])
        columns = [_new(c, "TableColumn") for c in options.get("columns", [])]
        parts = [column_sql(c) for c in columns]
        primary = [c["name"] for c in columns if c.get("isPrimary")]
        if primary:
            pk = sha1_name("PK_", name, primary, 27)
            parts.append(f'CONSTRAINT "{pk}" PRIMARY KEY ({", ".join(q(c) for c in primary)})')
        for key in options.get("foreignKeys", []):
            fk = self.m_createForeignKey(name, key)[0]
            parts.append(fk.split(" ADD ", 1)[1])
        exists = " IF NOT EXISTS" if if_not_exists else ""
        out = [f"CREATE TABLE{exists} {q(name)} ({', '.join(parts)})"]
        for index in options.get("indices", []):
            out += self.m_createIndex(name, index)
        return out


class _Walker(js.Walker):
    def __init__(
        self, source: js.Source, out: Extraction, runner: str, transaction: Transaction
    ) -> None:
        super().__init__(source, out)
        self.runner = runner
        self.transaction = transaction
        self.translator = Translator()

    def call(self, node: js.Node) -> bool:
        root, links = js.chain(node)
        if js.text(root) != self.runner or not links:
            return False
        method = links[-1][0]
        origin = f"{self.runner}.{method}"
        ignored = self.ignored(node)

        def translate(where: Location) -> None:
            args = [self.scope.value(a) for a in js.arguments(node)[:3]]
            if method == "query":
                sql = args[0] if args else ""
                if len(args) > 1 and isinstance(sql, str) and isinstance(args[1], list):
                    sql = js.with_numbered(sql, args[1])  # query(sql, parameters)
                self.raw_sql(sql, where, self.transaction, origin, ignored)
            else:
                sql_list = self.translator.translate(method, args)
                self.out.add(
                    [
                        generated(s, where, self.transaction, origin, ignored, self.out.budget)
                        for s in sql_list
                    ]
                )

        return self.extract(node, origin, translate)


def _opts_out_of_transaction(root: js.Node) -> js.Node | None:
    for node in js.walk(root):
        if node.type in ("public_field_definition", "field_definition"):
            name = node.child_by_field_name("name") or node.child_by_field_name("property")
            value = node.child_by_field_name("value")
            if name is not None and js.text(name) == "transaction" and value is not None:
                return node if value.type == "false" else None
    return None


def read(path: str, ctx: LoadContext, transaction: Transaction) -> Migration:
    source = js.Source(path, ctx.read(path))
    out = Extraction(path)
    root, up = js.parse_migration(source, out, what="method")
    if up is None:
        return out.migration(NAME)
    opted_out = _opts_out_of_transaction(root)
    if opted_out is not None:
        transaction = AUTOCOMMIT
        out.findings.append(
            info(
                checks.TypeormTransactionFalse,
                source.location(opted_out),
                "transaction = false: runs without a transaction, which TypeORM allows only with "
                'migrationsTransactionMode "each" or "none" (the default "all" refuses it)',
            )
        )
    walker = _Walker(source, out, js.first_param(up) or "queryRunner", transaction)
    walker.walk_up(root, up)
    return out.migration(NAME)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    # TypeORM sorts migrations by the timestamp at the end of the class name, which
    # migration:generate also puts at the start of the file name.
    pattern = "<timestamp>-<Name>.ts with up(queryRunner)"
    found = js_migration_files(target, _MARKERS, "TypeORM", pattern, by_name=True)
    transaction = ctx.runner_transaction()
    return [read(path, ctx, transaction) for path in found]
