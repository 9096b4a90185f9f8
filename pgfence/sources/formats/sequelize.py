"""Sequelize migrations (sequelize-cli / umzug), read with tree-sitter, never run.

`queryInterface.*` calls become the SQL Sequelize 6's postgres query generator emits
(checked against sequelize in a dev test); `queryInterface.sequelize.query(...)` is sent as
written. Sequelize adds no transaction: statements autocommit, except inside a
`queryInterface.sequelize.transaction(async (t) => {...})` callback, one transaction.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from pgfence.model import AUTOCOMMIT, Location, Migration, Statement, Transaction, TxScope
from pgfence.sources.formats import js
from pgfence.sources.formats.base import (
    JS_SUFFIXES,
    Extraction,
    LoadContext,
    Target,
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
    "CHAR": "CHAR(255)",
    "TEXT": "TEXT",
    "CITEXT": "CITEXT",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "SMALLINT": "SMALLINT",
    "MEDIUMINT": "INTEGER",
    "TINYINT": "SMALLINT",
    "FLOAT": "FLOAT",
    "REAL": "REAL",
    "DOUBLE": "DOUBLE PRECISION",
    "DECIMAL": "DECIMAL",
    "BOOLEAN": "BOOLEAN",
    "DATE": "TIMESTAMP WITH TIME ZONE",
    "DATEONLY": "DATE",
    "TIME": "TIME",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "UUID": "UUID",
    "BLOB": "BYTEA",
    "INET": "INET",
    "CIDR": "CIDR",
    "MACADDR": "MACADDR",
    "TSVECTOR": "TSVECTOR",
    "HSTORE": "HSTORE",
}
# RANGE(subtype): the range type Sequelize's postgres dialect names.
_RANGES = {
    "INTEGER": "int4range",
    "BIGINT": "int8range",
    "DECIMAL": "numrange",
    "DATE": "tstzrange",
    "DATEONLY": "daterange",
}
# Modifiers written after a type (`Sequelize.INTEGER.UNSIGNED`): what each does on PostgreSQL.
_MODIFIERS = {"UNSIGNED": None, "ZEROFILL": None, "BINARY": "BYTEA"}


def sql_type(value: Any) -> str:
    """A DataTypes value as Sequelize 6's postgres dialect writes it (`toSql()`)."""
    if not isinstance(value, js.Ref):
        if isinstance(value, str):
            return value
        raise js.Unknown("a column type pgfence cannot read")
    parts = value.name.split(".")
    name = parts[-1]
    if name in _MODIFIERS and len(parts) >= 2:
        if _MODIFIERS[name] is not None:
            return str(_MODIFIERS[name])  # STRING.BINARY is a bytea
        name = parts[-2]
    args = value.args
    if name == "STRING" and args:
        return f"VARCHAR({args[0]})"
    if name == "CHAR" and args:
        return f"CHAR({args[0]})"
    if name == "ARRAY" and args:
        return sql_type(args[0]) + "[]"
    if name == "RANGE":
        subtype = args[0].last if args and isinstance(args[0], js.Ref) else "INTEGER"
        if subtype not in _RANGES:
            raise js.Unknown(f"a RANGE of {subtype}")
        return _RANGES[subtype]
    if name in ("DECIMAL", "FLOAT") and args:
        return f"{name}({','.join(str(a) for a in args)})"
    if name == "ENUM":
        raise js.Unknown("an ENUM column outside a column definition")
    if name not in _TYPES:
        raise js.Unknown(f"the column type {value.name}")
    return _TYPES[name]


def _enum_values(options: dict[str, Any]) -> list[Any] | None:
    kind = options.get("type")
    if isinstance(kind, js.Ref) and kind.last == "ENUM":
        values = list(kind.args)
        if len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        return list(options.get("values") or values)
    return None


def escape(value: Any, options: dict[str, Any]) -> str:
    """Sequelize's postgres `escape(value, attribute)` for a default value."""
    kind = options.get("type")
    if isinstance(value, js.Ref):
        if value.last == "fn" and value.called and value.args:
            args = ", ".join(escape(a, {}) for a in value.args[1:])
            return f"{value.args[0]}({args})"
        if value.last == "literal" and value.args:
            return str(value.args[0])
        if value.name.startswith("process.env."):
            variable = value.name.removeprefix("process.env.")
            raise js.Unknown(
                f"the default is the environment variable {variable}, read when the migration runs"
            )
        raise js.Unknown(f"the default {value.name}")
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        column = sql_type(kind) if kind is not None else ""
        items = ",".join(escape(v, {}) for v in value)
        return f"ARRAY[{items}]::{column}" if column.endswith("[]") else literal(str(value))
    if isinstance(value, dict):
        return literal(json.dumps(value, separators=(",", ":")))
    if isinstance(value, float):
        if isinstance(kind, js.Ref) and kind.last in ("FLOAT", "REAL", "DOUBLE"):
            return literal(repr(value))  # Sequelize quotes the floats of float columns
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return literal(str(value))


def _schemable(value: Any) -> bool:
    """Utils.defaultValueSchemable: NOW, UUIDV1/4 are applied by the model, not the
    database."""
    return not (
        isinstance(value, js.Ref) and not value.called and value.last in ("NOW", "UUIDV1", "UUIDV4")
    )


def attribute_sql(
    options: Any, context: str = "createTable", table: str | None = None, key: str | None = None
) -> str:
    """QueryGenerator.attributeToSQL."""
    if isinstance(options, js.Ref):
        options = {"type": options}
    values = _enum_values(options)
    if values is not None:
        text = "ENUM(" + ", ".join(literal(str(v)) for v in values) + ")"
    else:
        text = sql_type(options["type"])
    if "allowNull" in options and not options["allowNull"]:
        text += " NOT NULL"
    if options.get("autoIncrement"):
        identity = options.get("autoIncrementIdentity")
        text += " GENERATED BY DEFAULT AS IDENTITY" if identity else " SERIAL"
    if "defaultValue" in options and _schemable(options["defaultValue"]):
        text += f" DEFAULT {escape(options['defaultValue'], options)}"
    if options.get("unique") is True:
        text += " UNIQUE"
    if options.get("primaryKey"):
        text += " PRIMARY KEY"
    references = options.get("references")
    if isinstance(references, dict):
        model = references.get("model")
        target = model if isinstance(model, str) else (model or {}).get("tableName")
        text += f" REFERENCES {q(str(target))} ({q(references.get('key', 'id'))})"
        if options.get("onDelete"):
            text += f" ON DELETE {str(options['onDelete']).upper()}"
        if options.get("onUpdate"):
            text += f" ON UPDATE {str(options['onUpdate']).upper()}"
    comment = options.get("comment")
    if isinstance(comment, str) and comment:
        if context in ("addColumn", "changeColumn") and table is not None and key is not None:
            text += f"; COMMENT ON COLUMN {q(table)}.{q(key)} IS {literal(comment)}"
        else:
            text += f" COMMENT {comment}"
    return text


def type_mapping(table: str, key: str, text: str) -> str:
    """PostgresQueryGenerator.dataTypeMapping: SERIAL, PRIMARY KEY and ENUM rewritten."""
    text = text.replace("PRIMARY KEY", "", 1)
    if "SERIAL" in text:
        if "BIGINT" in text:
            text = text.replace("SERIAL", "BIGSERIAL", 1).replace("BIGINT", "", 1)
        elif "SMALLINT" in text:
            text = text.replace("SERIAL", "SMALLSERIAL", 1).replace("SMALLINT", "", 1)
        else:
            text = text.replace("INTEGER", "", 1)
        text = text.replace("NOT NULL", "", 1)
    if text.startswith("ENUM("):
        end = _enum_end(text)
        text = enum_name(table, key) + text[end:]
    return text


def _enum_end(text: str) -> int:
    """Where the `ENUM('a', 'b')` at the start of `text` ends."""
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def enum_name(table: str, key: str) -> str:
    return f'"public"."enum_{table}_{key}"'


def create_enum(table: str, key: str, values: list[Any]) -> str:
    """Sequelize's pgEnum: the type made in a DO block that ignores an existing one."""
    quote = "''"
    labels = ", ".join(quote + str(v).replace("'", quote * 2) + quote for v in values)
    return (
        f"DO 'BEGIN CREATE TYPE {enum_name(table, key)} AS ENUM({labels}); "
        "EXCEPTION WHEN duplicate_object THEN null; END';"
    )


def underscore(name: str) -> str:
    """Sequelize's Utils.underscore (inflection's underscore): camelCase -> snake_case."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z\d])", r"\1_\2", name)
    name = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    return name.replace("-", "_").lower()


_OPERATORS = {
    "eq": "=",
    "ne": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "is": "IS",
    "not": "IS NOT",
    "like": "LIKE",
    "notLike": "NOT LIKE",
    "iLike": "ILIKE",
}


def where_sql(where: Any) -> str:
    """A `where` object (indexes, check constraints) as Sequelize writes it."""
    if not isinstance(where, dict):
        raise js.Unknown("a where that is not an object")
    clauses = []
    for column, value in where.items():
        if isinstance(value, dict):
            for op, operand in value.items():
                name = str(op).rsplit(".", 1)[-1]
                if name not in _OPERATORS:
                    raise js.Unknown(f"the operator {op}")
                sign = _OPERATORS[name]
                if operand is None:
                    sign = {"=": "IS", "!=": "IS NOT"}.get(sign, sign)
                clauses.append(f"{q(column)} {sign} {escape(operand, {})}")
        elif value is None:
            clauses.append(f"{q(column)} IS NULL")
        elif isinstance(value, list):
            clauses.append(f"{q(column)} IN ({', '.join(escape(v, {}) for v in value)})")
        else:
            clauses.append(f"{q(column)} = {escape(value, {})}")
    return " AND ".join(clauses)


def table_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["tableName"])
    return str(value)


_REPLACEMENT = re.compile(r"(?<![:\w]):(\w+)|\?")
_BIND = re.compile(r"\$(\w+)")


def with_values(sql: str, options: dict[str, Any], unknown: list[str] | None = None) -> str:
    """sequelize.query(sql, { replacements | bind }) as the database gets it: replacements
    for `?` (an array) or `:name` (an object), bind parameters for `$1` or `$name`. A
    value known only at run time is NULL, named in `unknown` (else it is Unknown)."""

    def sql_literal(value: Any) -> str:
        what = js.run_time(value)
        if what is None or unknown is None:
            return js.sql_literal(value)
        unknown.append(what)
        return "NULL"

    replacements = options.get("replacements")
    if isinstance(replacements, list):
        values = iter(replacements)

        def positional(match: re.Match[str]) -> str:
            if match.group(0) != "?":
                return match.group(0)
            try:
                return sql_literal(next(values))
            except StopIteration:
                raise js.Unknown("fewer replacements than placeholders") from None

        sql = _REPLACEMENT.sub(positional, sql)
    elif isinstance(replacements, dict):
        sql = _REPLACEMENT.sub(
            lambda m: (
                sql_literal(replacements[m.group(1)]) if m.group(1) in replacements else m.group(0)
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
                return sql_literal(bind[int(key) - 1])
            return sql_literal(bind[key]) if key in bind else match.group(0)

        sql = _BIND.sub(bound, sql)
    return sql


class Translator:
    """queryInterface calls -> the queries Sequelize sends, one string per query (a query
    can hold several statements: Postgres runs them in one implicit transaction)."""

    def translate(self, method: str, args: list[Any]) -> list[str]:
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            raise js.Unknown(f"queryInterface.{method} is not translated by pgfence")
        out: list[str] = handler(*args)
        return out

    def m_addColumn(self, table: Any, name: Any, options: Any, *rest: Any) -> list[str]:
        if isinstance(options, js.Ref):
            options = {"type": options}
        table_name = table_of(table)
        definition = type_mapping(
            table_name, str(name), attribute_sql(options, "addColumn", table_name, str(name))
        )
        query = f'ALTER TABLE "public".{q(table_name)} ADD COLUMN {q(name)} {definition};'
        values = _enum_values(options)
        if values is not None:
            query = create_enum(table_name, str(name), values) + query
        return [query]

    def m_removeColumn(self, table: Any, name: Any, *rest: Any) -> list[str]:
        return [f'ALTER TABLE "public".{q(table_of(table))} DROP COLUMN {q(name)};']

    def m_changeColumn(self, table: Any, name: Any, options: Any, *rest: Any) -> list[str]:
        """QueryGenerator.changeColumnQuery: its string surgery on the definition."""
        if isinstance(options, js.Ref):
            options = {"type": options}
        table_name = table_of(table)
        column = q(name)
        definition = type_mapping(
            table_name, str(name), attribute_sql(options, "changeColumn", table_name, str(name))
        )

        def alter(sub: str) -> str:
            return f"ALTER TABLE {q(table_name)} ALTER COLUMN {sub};"

        sql = ""
        if "NOT NULL" in definition:
            sql += alter(f"{column} SET NOT NULL")
            definition = definition.replace("NOT NULL", "", 1).strip()
        elif "REFERENCES" not in definition:
            sql += alter(f"{column} DROP NOT NULL")
        if "DEFAULT" in definition:
            default = re.search(r"DEFAULT ([^;]+)", definition)
            assert default is not None
            sql += alter(f"{column} SET DEFAULT {default.group(1)}")
            definition = re.sub(r"(DEFAULT[^;]+)", "", definition, count=1).strip()
        elif "REFERENCES" not in definition:
            sql += alter(f"{column} DROP DEFAULT")
        values = _enum_values(options)
        if values is not None:
            sql += create_enum(table_name, str(name), values)
            definition += f" USING ({column}::{enum_name(table_name, str(name))})"
        if re.search(r"UNIQUE;*$", definition):
            definition = re.sub(r"UNIQUE;*$", "", definition)
            sql += alter(f"ADD UNIQUE ({column})").replace("ALTER COLUMN", "")
        if "REFERENCES" in definition:
            definition = re.sub(r".+?(?=REFERENCES)", "", definition, count=1)
            sql += alter(f"ADD FOREIGN KEY ({column}) {definition}").replace("ALTER COLUMN", "")
        else:
            sql += alter(f"{column} TYPE {definition}")
        return [sql]

    def m_renameColumn(self, table: Any, old: Any, new: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(table))} RENAME COLUMN {q(old)} TO {q(new)};"]

    def m_addIndex(
        self, table: Any, fields_or_options: Any, options: Any = None, *rest: Any
    ) -> list[str]:
        """QueryGenerator.addIndexQuery."""
        table = table_of(table)
        if isinstance(fields_or_options, list):
            options = {
                **(options if isinstance(options, dict) else {}),
                "fields": fields_or_options,
            }
        else:
            options = fields_or_options
        parts, names = [], []
        for entry in options["fields"]:
            if isinstance(entry, str):
                parts.append(q(entry))
                names.append(entry)
                continue
            if not isinstance(entry, dict) or "name" not in entry:
                raise js.Unknown("an index field pgfence cannot read")
            part = q(entry["name"])
            names.append(str(entry["name"]))
            if entry.get("collate"):
                part += f" COLLATE {q(entry['collate'])}"
            operator = entry.get("operator") or options.get("operator")
            if operator:
                part += f" {operator}"
            if entry.get("order"):
                part += f" {entry['order']}"
            parts.append(part)
        if options.get("operator"):
            parts = [p if " " in p else f"{p} {options['operator']}" for p in parts]
        name = options.get("name") or underscore(f"{table}_{'_'.join(names)}")
        unique = options.get("unique") or str(options.get("type", "")).upper() == "UNIQUE"
        text = (
            f"CREATE {'UNIQUE ' if unique else ''}INDEX"
            f"{' CONCURRENTLY' if options.get('concurrently') else ''} {q(name)} ON {q(table)}"
        )
        if options.get("using"):
            text += f" USING {options['using']}"
        text += f" ({', '.join(parts)})"
        if options.get("where"):
            text += f" WHERE {where_sql(options['where'])}"
        return [text]

    def m_removeIndex(self, table: Any, name: Any, options: Any = None, *rest: Any) -> list[str]:
        if isinstance(name, list):
            name = underscore(f"{table_of(table)}_{'_'.join(str(n) for n in name)}")
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
            for option, words in (("onUpdate", "ON UPDATE"), ("onDelete", "ON DELETE")):
                if options.get(option):
                    text += f" {words} {str(options[option]).upper()}"
            return [text + ";"]
        if kind == "unique":
            name = options.get("name") or f"{table}_{'_'.join(fields)}_uk"
            return [f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} UNIQUE ({cols});"]
        if kind == "primary key":
            name = options.get("name") or f"{table}_{'_'.join(fields)}_pk"
            return [f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} PRIMARY KEY ({cols});"]
        if kind == "check":
            name = options.get("name") or f"{table}_{'_'.join(fields)}_ck"
            check = where_sql(options["where"])
            return [f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} CHECK ({check});"]
        raise js.Unknown(f"an addConstraint of type {kind!r}")

    def m_removeConstraint(self, table: Any, name: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(table))} DROP CONSTRAINT {q(name)}"]

    def m_renameTable(self, old: Any, new: Any, *rest: Any) -> list[str]:
        return [f"ALTER TABLE {q(table_of(old))} RENAME TO {q(table_of(new))};"]

    def m_dropTable(self, table: Any, *rest: Any) -> list[str]:
        options = rest[0] if rest and isinstance(rest[0], dict) else {}
        cascade = " CASCADE" if options.get("cascade") else ""
        return [f"DROP TABLE IF EXISTS {q(table_of(table))}{cascade};"]

    def m_createTable(self, table: Any, attributes: Any, *rest: Any) -> list[str]:
        """QueryInterface.createTable: ENUM types first, then createTableQuery."""
        options = rest[0] if rest and isinstance(rest[0], dict) else {}
        table_name = table_of(table)
        quoted = quote_table(table)
        queries = []
        columns = []
        comments = ""
        if isinstance(options.get("comment"), str) and options["comment"]:
            comments += f"; COMMENT ON TABLE {quoted} IS {literal(options['comment'])}"
        column_comments = ""
        primary = []
        for name, column in attributes.items():
            column = column if isinstance(column, dict) else {"type": column}
            values = _enum_values(column)
            if values is not None:
                queries.append(create_enum(table_name, str(name), values))
            text = attribute_sql(column, "createTable")
            if "PRIMARY KEY" in text:
                primary.append(q(name))
            at = text.find("COMMENT ")
            if at != -1:
                column_comments += (
                    f"; COMMENT ON COLUMN {quoted}.{q(name)} IS {literal(text[at + 8 :])}"
                )
                text = text[:at]
            columns.append(f"{q(name)} {type_mapping(table_name, str(name), text)}")
        clause = ", ".join(columns)
        if primary:
            clause += f", PRIMARY KEY ({','.join(primary)})"
        queries.append(
            f"CREATE TABLE IF NOT EXISTS {quoted} ({clause}){comments}{column_comments};"
        )
        return queries

    def m_bulkInsert(self, table: Any, records: Any, options: Any = None, *rest: Any) -> list[str]:
        """QueryGenerator.bulkInsertQuery: every key of every record, in the order first
        seen; a record without a key gives NULL there."""
        if (
            not isinstance(records, list)
            or not records
            or not all(isinstance(r, dict) for r in records)
        ):
            raise js.Unknown("bulkInsert records that are not objects written in the file")
        if isinstance(options, dict) and set(options) - {"transaction"}:
            raise js.Unknown(f"the bulkInsert options {sorted(set(options) - {'transaction'})}")
        keys = list(dict.fromkeys(k for record in records for k in record))
        rows = [
            "(" + ",".join(_data_value(r[k], k) if k in r else "NULL" for k in keys) + ")"
            for r in records
        ]
        return [
            f"INSERT INTO {quote_table(table)} ({','.join(q(k) for k in keys)}) "
            f"VALUES {','.join(rows)};"
        ]

    def m_bulkUpdate(self, table: Any, values: Any, where: Any = None, *rest: Any) -> list[str]:
        """QueryGenerator.updateQuery (bound parameters written in as Sequelize escapes
        them)."""
        if not isinstance(values, dict) or not values:
            raise js.Unknown("bulkUpdate values that are not an object written in the file")
        sets = ",".join(f"{q(k)}={_data_value(v, k)}" for k, v in values.items())
        text = f"UPDATE {quote_table(table)} SET {sets}"
        if isinstance(where, dict) and where:
            text += f" WHERE {where_sql(where)}"
        elif where not in (None, {}):
            raise js.Unknown("a bulkUpdate condition pgfence cannot read")
        return [text]

    def m_bulkDelete(self, table: Any, where: Any = None, *rest: Any) -> list[str]:
        text = f"DELETE FROM {q(table_of(table))}"
        if isinstance(where, dict) and where:
            text += f" WHERE {where_sql(where)}"
        elif where not in (None, {}):
            raise js.Unknown("a bulkDelete condition pgfence cannot read")
        return [text]


def _data_value(value: Any, key: str) -> str:
    """A row value Sequelize escapes: plain values only (a Date, a function call, an
    environment variable is Unknown, named)."""
    if isinstance(value, js.Ref):
        if value.name.startswith("process.env."):
            variable = value.name.removeprefix("process.env.")
            raise js.Unknown(
                f"the value of `{key}` is the environment variable {variable}, read when "
                "the migration runs"
            )
        raise js.Unknown(f"the value of `{key}`, `{value.name}`, which pgfence does not render")
    if isinstance(value, dict | list):
        raise js.Unknown(f"the value of `{key}`, an object or array")
    return escape(value, {})


def quote_table(table: Any) -> str:
    if isinstance(table, dict) and table.get("schema"):
        return f"{q(table['schema'])}.{q(table['tableName'])}"
    return q(table_of(table))


class _Walker(js.Walker):
    def __init__(self, source: js.Source, out: Extraction, qi: str, ctx: LoadContext) -> None:
        super().__init__(source, out)
        self.qi = qi
        self.ctx = ctx
        self.transaction: Transaction = AUTOCOMMIT
        self.translator = Translator()
        self.unmanaged: str | None = None  # `const t = await …sequelize.transaction()`

    def statement(self, node: js.Node) -> None:
        if node.type in ("lexical_declaration", "variable_declaration"):
            declarators = [d for d in node.named_children if d.type == "variable_declarator"]
            if len(declarators) == 1:
                name = declarators[0].child_by_field_name("name")
                value = declarators[0].child_by_field_name("value")
                if (
                    name is not None
                    and name.type == "identifier"
                    and value is not None
                    and self.unmanaged_start(js.unwrap(value), js.text(name))
                ):
                    return
        super().statement(node)

    def unmanaged_start(self, node: js.Node, name: str) -> bool:
        """`const t = await queryInterface.sequelize.transaction()`: Sequelize sends START
        TRANSACTION; calls given `{ transaction: t }` run in it until `t.commit()` /
        `t.rollback()` (COMMIT / ROLLBACK)."""
        if node.type != "call_expression":
            return False
        root, links = js.chain(node)
        if js.text(root) != self.qi or [n for n, _ in links] != ["sequelize", "transaction"]:
            return False
        if js.arguments(links[1][1]):
            return False  # a callback (managed) or options: not this form
        origin = f"{self.qi}.sequelize.transaction"

        def start(where: Location) -> None:
            self.transaction = self.ctx.runner_transaction()
            self.unmanaged = name
            self.scope.constants[name] = js.Ref(name)

        return self.extract(node, origin, start)

    def unmanaged_end(self, node: js.Node) -> bool:
        root, links = js.chain(node)
        if self.unmanaged is None or js.text(root) != self.unmanaged:
            return False
        if [n for n, _ in links] not in (["commit"], ["rollback"]):
            return False

        def end(where: Location) -> None:
            self.transaction = AUTOCOMMIT
            self.unmanaged = None

        return self.extract(node, f"{self.unmanaged}.{links[0][0]}", end)

    def call(self, node: js.Node) -> bool:
        if self.unmanaged_end(node):
            return True
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
            raw = names[:2] == ["sequelize", "query"]
            value = self.run_time_value if raw else self.scope.value
            args = [value(a) for a in js.arguments(node)]
            # Only calls given `{ transaction }` run in the callback's transaction (without
            # CLS, the others take another connection and autocommit).
            passed = any(isinstance(a, dict) and "transaction" in a for a in args)
            transaction = self.transaction if passed else AUTOCOMMIT
            if raw:
                sql = args[0] if args else ""
                options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                unknown: list[str] = []
                if isinstance(sql, str):
                    sql = with_values(sql, options, unknown)
                self.raw_sql(sql, where, transaction, origin, ignored, unknown)
            else:
                for query in self.translator.translate(method, args):
                    self.raw_sql(query, where, transaction, origin, ignored)

        return self.extract(node, origin, translate)

    def one_query(self, statements: list[Statement], transaction: Transaction) -> list[Statement]:
        """One query Sequelize sends: several statements in it run in one implicit
        transaction when no transaction is open (a CONCURRENTLY there fails, as on the
        server)."""
        if len(statements) > 1 and transaction.scope is TxScope.AUTOCOMMIT:
            implicit = self.ctx.runner_transaction()
            return [dataclasses.replace(s, transaction=implicit) for s in statements]
        return statements

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
        param = js.first_param(function)
        if param is not None:  # `{ transaction: t }` names the callback's transaction
            self.scope.constants[param] = js.Ref(param)
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
    found = js_migration_files(target, _MARKERS, "Sequelize", pattern)
    return [read(path, ctx) for path in umzug_order(found)]


def umzug_order(paths: list[str]) -> list[str]:
    """sequelize-cli's scope and order (umzug): the files of the migrations folder itself,
    not of folders inside it, sorted by file name as strings (`10-x.js` before `2-y.js`)."""
    if not paths:
        return []
    depth = min(len(Path(p).parts) for p in paths)
    top = [p for p in paths if len(Path(p).parts) == depth]
    return sorted(top, key=lambda p: (str(Path(p).parent), Path(p).name))
