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
import urllib.parse
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
    return '"' + str(name) + '"'


# TypeORM's default search schema: escapePath() leaves it out of table names, while enum
# type names and DROP INDEX carry it (PostgresQueryRunner, 0.3).
SEARCH_SCHEMA = "public"
_ENUMS = ("enum", "simple-enum")


def split_name(name: str) -> tuple[str, str]:
    """ "schema.table" -> (schema, table); a bare name is in the search schema."""
    parts = str(name).split(".")
    return (parts[-2] if len(parts) > 1 else SEARCH_SCHEMA), parts[-1]


def path(name: str) -> str:
    """A table as TypeORM's escapePath() writes it."""
    schema, table = split_name(name)
    return f'"{table}"' if schema == SEARCH_SCHEMA else f'"{schema}"."{table}"'


def js_string(value: Any) -> str:
    """A value as JavaScript's string concatenation writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise js.Unknown(f"a value known only at run time ({value!r})")


def typeorm_sha1(key: str) -> str:
    """RandomGenerator.sha1: the sha1 of the key as encodeURIComponent writes it (its
    `unescape` is commented out, so a `"` or a space is hashed as `%22`, `%20`)."""
    encoded = urllib.parse.quote(key, safe="!*'()")
    return hashlib.sha1(encoded.encode(), usedforsecurity=False).hexdigest()


def sha1_name(prefix: str, table: str, columns: list[str], length: int, where: Any = None) -> str:
    """DefaultNamingStrategy's names: sha1 of `<table>_<sorted columns>[_<where>]`."""
    key = f"{split_name(table)[1]}_{'_'.join(sorted(columns))}"
    if where:
        key += f"_{where}"
    return prefix + typeorm_sha1(key)[:length]


def expression_name(prefix: str, table: str, expression: str) -> str:
    key = f"{split_name(table)[1]}_{expression}"
    return prefix + typeorm_sha1(key)[:26]


def enum_name(table: str, column: dict[str, Any], with_schema: bool = True) -> str:
    schema, name = split_name(table)
    enum = str(column.get("enumName") or f"{name}_{str(column['name']).lower()}_enum")
    if "." in enum:
        schema, enum = enum.rsplit(".", 1)
    return f'"{schema}"."{enum}"' if with_schema else f'"{enum}"'


def comment_literal(comment: Any) -> str:
    if not comment:
        return "NULL"
    return "'" + str(comment).replace("'", "''").replace("\x00", "") + "'"


_TIME_TYPES = {
    "time without time zone": ("TIME", ""),
    "time with time zone": ("TIME", " WITH TIME ZONE"),
    "timestamp without time zone": ("TIMESTAMP", ""),
    "timestamp with time zone": ("TIMESTAMP", " WITH TIME ZONE"),
}


def full_type(column: dict[str, Any]) -> str:
    """PostgresDriver.createFullType: the type as written, with length or precision."""
    kind = column.get("type")
    if not isinstance(kind, str):
        raise js.Unknown("a column type that is not written out as a string")
    text = kind
    precision, scale = column.get("precision"), column.get("scale")
    if column.get("length"):
        text += f"({js_string(column['length'])})"
    elif precision is not None and scale is not None:
        text += f"({js_string(precision)},{js_string(scale)})"
    elif precision is not None:
        text += f"({js_string(precision)})"
    if kind in _TIME_TYPES:
        word, zone = _TIME_TYPES[kind]
        text = word + (f"({js_string(precision)})" if precision is not None else "") + zone
    elif kind in ("geometry", "geography") and column.get("spatialFeatureType") is not None:
        srid = f",{js_string(column['srid'])}" if column.get("srid") is not None else ""
        text = f"{kind}({column['spatialFeatureType']}{srid})"
    elif kind in ("vector", "halfvec"):
        text = kind + (f"({js_string(column['length'])})" if column.get("length") else "")
    if column.get("isArray"):
        text += " array"
    return text


# What TypeORM reads back for a column type (pg_catalog's regtype): a type written another
# way in changeColumn's new column counts as a type change.
_LIVE_TYPES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "varchar": "character varying",
    "char": "character",
    "bool": "boolean",
    "float": "double precision",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
    "simple-enum": "enum",
}


def live_type(kind: Any) -> Any:
    if not isinstance(kind, str):
        return kind
    return _LIVE_TYPES.get(kind.lower(), kind.lower())


def column_sql(table: str, column: dict[str, Any]) -> str:
    """PostgresQueryRunner.buildCreateColumnSql."""
    kind = column.get("type")
    strategy = column.get("generationStrategy", "increment")
    text = f'"{column["name"]}"'
    generated_key = column.get("isGenerated") is True and strategy != "uuid"
    if generated_key and strategy == "identity":
        identity = column.get("generatedIdentity") or "BY DEFAULT"
        text += f" {kind} GENERATED {identity} AS IDENTITY"
    elif generated_key:
        serial = {"integer": "SERIAL", "int": "SERIAL", "int4": "SERIAL"}
        serial |= {"smallint": "SMALLSERIAL", "int2": "SMALLSERIAL"}
        serial |= {"bigint": "BIGSERIAL", "int8": "BIGSERIAL"}
        text += f" {serial[kind]}" if kind in serial else ""
    if kind in _ENUMS:
        text += " " + enum_name(table, column) + (" array" if column.get("isArray") else "")
    elif not column.get("isGenerated") or kind == "uuid":
        text += " " + full_type(column)
    if column.get("generatedType") == "STORED" and column.get("asExpression"):
        text += f" GENERATED ALWAYS AS ({column['asExpression']}) STORED"
    if column.get("charset"):
        text += f' CHARACTER SET "{column["charset"]}"'
    if column.get("collation"):
        text += f' COLLATE "{column["collation"]}"'
    if column.get("isNullable") is not True:
        text += " NOT NULL"
    if column.get("default") is not None:
        text += " DEFAULT " + js_string(column["default"])
    if column.get("isGenerated") and strategy == "uuid" and not column.get("default"):
        text += " DEFAULT uuid_generate_v4()"
    return text


def create_enum(table: str, column: dict[str, Any], name: str | None = None) -> str:
    values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in column.get("enum") or [])
    return f"CREATE TYPE {name or enum_name(table, column)} AS ENUM({values})"


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
        options = value.args[0]
        schema = options.get("schema")
        return f"{schema}.{options['name']}" if schema else str(options["name"])
    raise js.Unknown("a table given as a variable")


def _name(value: Any, cls: str) -> str:
    return value if isinstance(value, str) else str(_new(value, cls)["name"])


class Translator:
    """queryRunner builder calls -> SQL (TypeORM 0.3's PostgresQueryRunner).

    `notes`: what a call's translation had to assume, for a `typeorm-assumption` finding.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []

    def translate(self, method: str, args: list[Any]) -> list[str]:
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            raise js.Unknown(f"queryRunner.{method} is not translated by pgfence")
        self.notes = []
        out: list[str] = handler(*args)
        return out

    def assume(self, note: str) -> None:
        self.notes.append(note)

    # ---- schemas, tables, views -------------------------------------------------------
    def m_createSchema(self, schema: str, if_not_exists: Any = False) -> list[str]:
        name = str(schema).split(".")[-1]
        return [f'CREATE SCHEMA{" IF NOT EXISTS" if if_not_exists else ""} "{name}"']

    def m_dropSchema(self, schema: str, if_exists: Any = False, cascade: Any = False) -> list[str]:
        name = str(schema).split(".")[-1]
        exists = " IF EXISTS" if if_exists else ""
        return [f'DROP SCHEMA{exists} "{name}"{" CASCADE" if cascade else ""}']

    def metadata_row(self, table: str, column: dict[str, Any]) -> str:
        schema, name = split_name(table)
        self.assume(
            "TypeORM records a generated column in its typeorm_metadata table under the "
            "name of the database it is connected to: taken to be current_database()"
        )
        values = ", ".join(
            "'" + str(v).replace("'", "''") + "'"
            for v in (schema, name, "GENERATED_COLUMN", column["name"], column["asExpression"])
        )
        return (
            'INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", '
            f'"value") VALUES (current_database(), {values})'
        )

    def m_createTable(
        self,
        table: Any,
        if_not_exists: Any = False,
        create_foreign_keys: Any = True,
        create_indices: Any = True,
    ) -> list[str]:
        options = _new(table, "Table")
        name = _table(table)
        columns = [_new(c, "TableColumn") for c in options.get("columns", [])]
        if if_not_exists:
            self.assume("ifNotExist: TypeORM sends nothing when the table already exists")
        out: list[str] = []
        enums: list[str] = []
        for column in columns:
            if column.get("type") in _ENUMS and enum_name(name, column) not in enums:
                enums.append(enum_name(name, column))
                out.append(create_enum(name, column))
        for column in columns:
            if column.get("generatedType") == "STORED" and column.get("asExpression"):
                out.append(self.metadata_row(name, column))
        out += self.create_table_sql(name, options, columns, create_foreign_keys is not False)
        if create_indices is not False:
            for index in options.get("indices", []):
                out += self.m_createIndex(name, index)
        if options.get("comment"):
            out.append(f"COMMENT ON TABLE {path(name)} IS '{options['comment']}'")
        return out

    def create_table_sql(
        self, name: str, options: dict[str, Any], columns: list[dict[str, Any]], fks: bool
    ) -> list[str]:
        parts = [column_sql(name, c) for c in columns]
        uniques = [_new(u, "TableUnique") for u in options.get("uniques", [])]
        for column in columns:
            if column.get("isUnique") and not any(
                list(u["columnNames"]) == [column["name"]] for u in uniques
            ):
                uniques.append(
                    {
                        "name": sha1_name("UQ_", name, [column["name"]], 27),
                        "columnNames": [column["name"]],
                    }
                )
        for unique in uniques:
            parts.append(self.unique_clause(name, unique))
        for check in (_new(c, "TableCheck") for c in options.get("checks", [])):
            check_name = check.get("name") or expression_name("CHK_", name, check["expression"])
            parts.append(f'CONSTRAINT "{check_name}" CHECK ({check["expression"]})')
        for exclusion in (_new(x, "TableExclusion") for x in options.get("exclusions", [])):
            exclusion_name = exclusion.get("name") or expression_name(
                "XCL_", name, exclusion["expression"]
            )
            parts.append(f'CONSTRAINT "{exclusion_name}" EXCLUDE {exclusion["expression"]}')
        if fks:
            for key in options.get("foreignKeys", []):
                parts.append(self.foreign_key_clause(name, _new(key, "TableForeignKey")))
        primary = [c for c in columns if c.get("isPrimary")]
        if primary:
            names = [str(c["name"]) for c in primary]
            pk = primary[0].get("primaryKeyConstraintName") or sha1_name("PK_", name, names, 27)
            parts.append(f'CONSTRAINT "{pk}" PRIMARY KEY ({", ".join(q(c) for c in names)})')
        out = [f"CREATE TABLE {path(name)} ({', '.join(parts)})"]
        for column in columns:
            if column.get("comment"):
                out.append(
                    f'COMMENT ON COLUMN {path(name)}."{column["name"]}" IS '
                    + comment_literal(column["comment"])
                )
        return out

    def unique_clause(self, table: str, unique: dict[str, Any]) -> str:
        columns = [str(c) for c in unique["columnNames"]]
        name = unique.get("name") or sha1_name("UQ_", table, columns, 27)
        text = f'CONSTRAINT "{name}" UNIQUE ({", ".join(q(c) for c in columns)})'
        return text + (f" DEFERRABLE {unique['deferrable']}" if unique.get("deferrable") else "")

    def foreign_key_clause(self, table: str, key: dict[str, Any]) -> str:
        columns = [str(c) for c in key["columnNames"]]
        name = key.get("name") or sha1_name("FK_", table, columns, 27)
        text = (
            f'CONSTRAINT "{name}" FOREIGN KEY ({", ".join(q(c) for c in columns)}) '
            f"REFERENCES {path(self.referenced(key))}"
            f"({', '.join(q(c) for c in key['referencedColumnNames'])})"
        )
        for option, words in (("onDelete", "ON DELETE"), ("onUpdate", "ON UPDATE")):
            if key.get(option):
                text += f" {words} {key[option]}"
        if key.get("deferrable"):
            text += f" DEFERRABLE {key['deferrable']}"
        return text

    @staticmethod
    def referenced(key: dict[str, Any]) -> str:
        table = str(key["referencedTableName"])
        schema = key.get("referencedSchema")
        return f"{schema}.{split_name(table)[1]}" if schema else table

    def m_dropTable(
        self, table: Any, if_exists: Any = False, drop_fks: Any = True, drop_indices: Any = True
    ) -> list[str]:
        if if_exists:
            self.assume("ifExist: TypeORM sends nothing when the table does not exist")
        if drop_fks is not False or drop_indices is not False:
            self.assume(
                "TypeORM reads the live table and first drops each of its indexes and "
                "foreign keys, one statement each: pgfence cannot see them"
            )
        return [f"DROP TABLE {path(_table(table))}"]

    def m_renameTable(self, old: Any, new: Any) -> list[str]:
        self.assume(
            "TypeORM reads the live table and also renames its primary key, sequences, "
            "default-named constraints and indexes, and enum types: pgfence cannot see them"
        )
        new_name = split_name(_table(new))[1]
        return [f'ALTER TABLE {path(_table(old))} RENAME TO "{new_name}"']

    def m_createView(self, view: Any, sync_with_metadata: Any = False) -> list[str]:
        options = _new(view, "View")
        expression = options.get("expression")
        if not isinstance(expression, str):
            raise js.Unknown("a view whose expression is not a string")
        name = str(options["name"])
        kind = "MATERIALIZED VIEW" if options.get("materialized") else "VIEW"
        out = [f"CREATE {kind} {path(name)} AS {expression}"]
        if sync_with_metadata:
            schema, bare = split_name(name)
            kind_name = "MATERIALIZED_VIEW" if options.get("materialized") else "VIEW"
            text = expression.replace("'", "''")
            out.append(
                'INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", '
                f"\"value\") VALUES (DEFAULT, '{schema}', DEFAULT, '{kind_name}', '{bare}', "
                f"'{text}')"
            )
        return out

    def m_dropView(self, view: Any) -> list[str]:
        name = _name(view, "View")
        self.assume(
            "TypeORM reads the view from its typeorm_metadata table: a materialized view is "
            "dropped with DROP MATERIALIZED VIEW, and its metadata row is deleted"
        )
        return [f"DROP VIEW {path(name)}"]

    def m_clearTable(self, table: Any) -> list[str]:
        return [f"TRUNCATE TABLE {path(_table(table))}"]

    def m_changeTableComment(self, table: Any, comment: Any = None) -> list[str]:
        text = "NULL" if not comment else "'" + str(comment).replace("'", "''") + "'"
        return [f"COMMENT ON TABLE {path(_table(table))} IS {text}"]

    # ---- columns ------------------------------------------------------------------------
    def m_addColumn(self, table: Any, column: Any) -> list[str]:
        table = _table(table)
        options = _new(column, "TableColumn")
        out = []
        if options.get("type") in _ENUMS:
            self.assume("TypeORM creates the enum type only when it does not exist yet")
            out.append(create_enum(table, options))
        out.append(f"ALTER TABLE {path(table)} ADD {column_sql(table, options)}")
        if options.get("isPrimary"):
            self.assume(
                "a primary-key column: TypeORM drops the table's primary key it reads and "
                "adds one over all its primary columns"
            )
            pk = options.get("primaryKeyConstraintName") or sha1_name(
                "PK_", table, [options["name"]], 27
            )
            key = q(options["name"])
            out.append(f'ALTER TABLE {path(table)} ADD CONSTRAINT "{pk}" PRIMARY KEY ({key})')
        if options.get("isUnique"):
            name = sha1_name("UQ_", table, [options["name"]], 27)
            out.append(
                f'ALTER TABLE {path(table)} ADD CONSTRAINT "{name}" UNIQUE ("{options["name"]}")'
            )
        if options.get("generatedType") == "STORED" and options.get("asExpression"):
            out.append(self.metadata_row(table, options))
        if options.get("comment"):
            out.append(
                f'COMMENT ON COLUMN {path(table)}."{options["name"]}" IS '
                + comment_literal(options["comment"])
            )
        return out

    def m_addColumns(self, table: Any, columns: list[Any]) -> list[str]:
        return self.each(self.m_addColumn, table, columns)

    def each(self, method: Any, table: Any, items: Any) -> list[str]:
        if not isinstance(items, list):
            raise js.Unknown("a list given as a variable")
        notes: list[str] = []
        out: list[str] = []
        for item in items:
            out += method(table, item)
            notes += self.notes
            self.notes = []
        self.notes = list(dict.fromkeys(notes))
        return out

    def m_dropColumn(self, table: Any, column: Any) -> list[str]:
        table = _table(table)
        name = _name(column, "TableColumn")
        self.assume(
            "TypeORM reads the live table and first drops the primary key, index, check and "
            "unique constraint it finds on the column alone (and afterwards its enum type): "
            "pgfence cannot see them"
        )
        return [f'ALTER TABLE {path(table)} DROP COLUMN "{name}"']

    def m_dropColumns(self, table: Any, columns: Any) -> list[str]:
        return self.each(self.m_dropColumn, table, columns)

    def m_renameColumn(self, table: Any, old: Any, new: Any) -> list[str]:
        table = _table(table)
        old_name, new_name = _name(old, "TableColumn"), _name(new, "TableColumn")
        self.assume(
            "TypeORM reads the live table and also renames the default-named primary key, "
            "unique constraints, indexes, foreign keys, sequence and enum type of the column"
        )
        return [f'ALTER TABLE {path(table)} RENAME COLUMN "{old_name}" TO "{new_name}"']

    def m_changeColumn(self, table: Any, old: Any, new: Any) -> list[str]:
        table = _table(table)
        after = _new(new, "TableColumn")
        if isinstance(old, str):
            before = {**after, "name": old, "type": live_type(after.get("type"))}
            if after.get("length"):
                before["length"] = js_string(after["length"])
            self.assume(
                "changeColumn with the old column given by name: TypeORM compares the new "
                "column with the one it reads from the live table, whose type is Postgres's "
                "own name (`integer`, `character varying`, …) and whose length is a string; "
                "pgfence takes the old column to be the new one under that name, so a type "
                "written another way (`int`, `varchar`) or a length written as a number "
                "makes TypeORM drop the column and add it again (its data lost)"
            )
        else:
            before = _new(old, "TableColumn")
        return self.change(table, before, after)

    def m_changeColumns(self, table: Any, changes: Any) -> list[str]:
        if not isinstance(changes, list):
            raise js.Unknown("a list given as a variable")
        out: list[str] = []
        notes: list[str] = []
        for change in changes:
            if not isinstance(change, dict):
                raise js.Unknown("a change that is not written out")
            out += self.m_changeColumn(table, change.get("oldColumn"), change.get("newColumn"))
            notes += self.notes
        self.notes = list(dict.fromkeys(notes))
        return out

    def change(self, table: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
        t = path(table)
        recreated = (
            before.get("type") != after.get("type")
            or (before.get("length") or "") != (after.get("length") or "")
            or bool(before.get("isArray")) != bool(after.get("isArray"))
            or (not before.get("generatedType") and after.get("generatedType") == "STORED")
        )
        if recreated:  # TypeORM drops the column and adds it again: its data is lost
            return self.m_dropColumn(table, before["name"]) + self.m_addColumn(table, after)
        if before.get("type") in _ENUMS and before.get("enum") != after.get("enum"):
            raise js.Unknown(
                "changeColumn of an enum's values (TypeORM renames and recreates the type)"
            )
        out = []
        old, new = str(before["name"]), str(after["name"])
        if old != new:
            out += self.m_renameColumn(table, old, new)
        if before.get("precision") != after.get("precision") or before.get("scale") != after.get(
            "scale"
        ):
            out.append(f'ALTER TABLE {t} ALTER COLUMN "{new}" TYPE {full_type(after)}')
        if bool(before.get("isNullable")) != bool(after.get("isNullable")):
            verb = "DROP" if after.get("isNullable") else "SET"
            out.append(f'ALTER TABLE {t} ALTER COLUMN "{old}" {verb} NOT NULL')
        if before.get("comment") != after.get("comment"):
            out.append(f'COMMENT ON COLUMN {t}."{old}" IS {comment_literal(after.get("comment"))}')
        if bool(before.get("isUnique")) != bool(after.get("isUnique")):
            name = sha1_name("UQ_", table, [new], 27)
            out.append(
                f'ALTER TABLE {t} ADD CONSTRAINT "{name}" UNIQUE ("{new}")'
                if after.get("isUnique")
                else f'ALTER TABLE {t} DROP CONSTRAINT "{name}"'
            )
        if before.get("default") != after.get("default"):
            if after.get("default") is not None:
                default = js_string(after["default"])
                out.append(f'ALTER TABLE {t} ALTER COLUMN "{new}" SET DEFAULT {default}')
            else:
                out.append(f'ALTER TABLE {t} ALTER COLUMN "{new}" DROP DEFAULT')
        if after.get("collation") and before.get("collation") != after.get("collation"):
            out.append(
                f'ALTER TABLE {t} ALTER COLUMN "{new}" TYPE {after["type"]} '
                f'COLLATE "{after["collation"]}"'
            )
        return out

    # ---- indexes ------------------------------------------------------------------------
    def m_createIndex(self, table: Any, index: Any) -> list[str]:
        table = _table(table)
        options = _new(index, "TableIndex")
        columns = [str(c) for c in options["columnNames"]]
        where = options.get("where")
        name = options.get("name") or sha1_name("IDX_", table, columns, 26, where)
        text = (
            f"CREATE {'UNIQUE ' if options.get('isUnique') else ''}INDEX"
            f'{" CONCURRENTLY" if options.get("isConcurrent") else ""} "{name}" ON {path(table)} '
            f"{'USING GiST ' if options.get('isSpatial') else ''}"
            f"({', '.join(q(c) for c in columns)})"
        )
        return [text + (f" WHERE {where}" if where else "")]

    def m_createIndices(self, table: Any, indices: Any) -> list[str]:
        return self.each(self.m_createIndex, table, indices)

    def m_dropIndex(self, table: Any, index: Any) -> list[str]:
        schema, _ = split_name(_table(table))
        if isinstance(index, str):
            self.assume(
                "an index given by name: TypeORM reads it from the live table and drops it "
                "CONCURRENTLY if it was made so"
            )
            return [f'DROP INDEX "{schema}"."{index}"']
        options = _new(index, "TableIndex")
        concurrently = "CONCURRENTLY " if options.get("isConcurrent") else ""
        return [f'DROP INDEX {concurrently}"{schema}"."{options["name"]}"']

    def m_dropIndices(self, table: Any, indices: Any) -> list[str]:
        return self.each(self.m_dropIndex, table, indices)

    # ---- constraints --------------------------------------------------------------------
    def m_createForeignKey(self, table: Any, key: Any) -> list[str]:
        table = _table(table)
        options = _new(key, "TableForeignKey")
        clause = self.foreign_key_clause(table, options)
        return [f"ALTER TABLE {path(table)} ADD {clause}"]

    def m_createForeignKeys(self, table: Any, keys: Any) -> list[str]:
        return self.each(self.m_createForeignKey, table, keys)

    def m_dropForeignKey(self, table: Any, key: Any) -> list[str]:
        name = _name(key, "TableForeignKey")
        return [f'ALTER TABLE {path(_table(table))} DROP CONSTRAINT "{name}"']

    def m_dropForeignKeys(self, table: Any, keys: Any) -> list[str]:
        return self.each(self.m_dropForeignKey, table, keys)

    def m_createUniqueConstraint(self, table: Any, unique: Any) -> list[str]:
        table = _table(table)
        clause = self.unique_clause(table, _new(unique, "TableUnique"))
        return [f"ALTER TABLE {path(table)} ADD {clause}"]

    def m_createUniqueConstraints(self, table: Any, uniques: Any) -> list[str]:
        return self.each(self.m_createUniqueConstraint, table, uniques)

    def m_dropUniqueConstraint(self, table: Any, unique: Any) -> list[str]:
        name = _name(unique, "TableUnique")
        return [f'ALTER TABLE {path(_table(table))} DROP CONSTRAINT "{name}"']

    def m_dropUniqueConstraints(self, table: Any, uniques: Any) -> list[str]:
        return self.each(self.m_dropUniqueConstraint, table, uniques)

    def m_createCheckConstraint(self, table: Any, check: Any) -> list[str]:
        table = _table(table)
        options = _new(check, "TableCheck")
        name = options.get("name") or expression_name("CHK_", table, options["expression"])
        return [
            f'ALTER TABLE {path(table)} ADD CONSTRAINT "{name}" CHECK ({options["expression"]})'
        ]

    m_createCheck = m_createCheckConstraint  # the name pgfence read before TypeORM 0.3's

    def m_createCheckConstraints(self, table: Any, checks_: Any) -> list[str]:
        return self.each(self.m_createCheckConstraint, table, checks_)

    def m_dropCheckConstraint(self, table: Any, check: Any) -> list[str]:
        name = _name(check, "TableCheck")
        return [f'ALTER TABLE {path(_table(table))} DROP CONSTRAINT "{name}"']

    def m_dropCheckConstraints(self, table: Any, checks_: Any) -> list[str]:
        return self.each(self.m_dropCheckConstraint, table, checks_)

    def m_createExclusionConstraint(self, table: Any, exclusion: Any) -> list[str]:
        table = _table(table)
        options = _new(exclusion, "TableExclusion")
        name = options.get("name") or expression_name("XCL_", table, options["expression"])
        return [
            f'ALTER TABLE {path(table)} ADD CONSTRAINT "{name}" EXCLUDE {options["expression"]}'
        ]

    def m_createExclusionConstraints(self, table: Any, exclusions: Any) -> list[str]:
        return self.each(self.m_createExclusionConstraint, table, exclusions)

    def m_dropExclusionConstraint(self, table: Any, exclusion: Any) -> list[str]:
        name = _name(exclusion, "TableExclusion")
        return [f'ALTER TABLE {path(_table(table))} DROP CONSTRAINT "{name}"']

    def m_dropExclusionConstraints(self, table: Any, exclusions: Any) -> list[str]:
        return self.each(self.m_dropExclusionConstraint, table, exclusions)

    def m_createPrimaryKey(self, table: Any, columns: Any, name: Any = None) -> list[str]:
        table = _table(table)
        if not isinstance(columns, list):
            raise js.Unknown("primary key columns given as a variable")
        names = [str(c) for c in columns]
        pk = name or sha1_name("PK_", table, names, 27)
        cols = ", ".join(q(c) for c in names)
        return [f'ALTER TABLE {path(table)} ADD CONSTRAINT "{pk}" PRIMARY KEY ({cols})']

    def m_dropPrimaryKey(self, table: Any, name: Any = None) -> list[str]:
        table = _table(table)
        if not name:
            raise js.Unknown(
                "dropPrimaryKey without a constraint name: TypeORM names it from the primary "
                "columns it reads from the live table"
            )
        return [f'ALTER TABLE {path(table)} DROP CONSTRAINT "{name}"']


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
            value = self.run_time_value if method == "query" else self.scope.value
            args = [value(a) for a in js.arguments(node)[:4]]
            if method == "query":
                sql = args[0] if args else ""
                unknown: list[str] = []
                if len(args) > 1 and isinstance(sql, str) and isinstance(args[1], list):
                    sql = js.with_numbered(sql, args[1], unknown)  # query(sql, parameters)
                self.raw_sql(sql, where, self.transaction, origin, ignored, unknown)
            else:
                sql_list = self.translator.translate(method, args)
                self.out.add(
                    [
                        generated(s, where, self.transaction, origin, ignored, self.out.budget)
                        for s in sql_list
                    ],
                    [info(checks.TypeormAssumption, where, n) for n in self.translator.notes],
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
