"""Safe rewrites in the migration tool's own language, for index builds and drops.

The rules write their recipes in SQL. An index build that must run `CONCURRENTLY`
outside any transaction is written differently in each tool: Alembic's
`autocommit_block()` and `postgresql_concurrently=True`, Django's
`AddIndexConcurrently` in a migration with `atomic = False`, Sequelize's `concurrently:
true` without a transaction, Knex's and TypeORM's switch that turns the migration's
transaction off; and for SQL tools that wrap a file in a transaction (Prisma, Drizzle,
Flyway, golang-migrate, dbmate), a migration of its own, named as the tool names them.
This runs once at the end of the analysis, on the findings of statements of those
formats; the SQL of the rule's recipe is kept after the tool's words.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
from collections.abc import Iterable, Sequence

from pglast import ast
from pglast.enums import ObjectType

from pgfence.analysis.expressions import build_concurrently, sql_text
from pgfence.model import Finding, Migration, Statement, StatementReport, TxScope

INDEX_RULES = frozenset(
    {
        "create-index-blocks-writes",
        "drop-index-blocks-reads",
        "concurrently-without-if-exists",
        "concurrently-in-transaction",
    }
)


def apply(
    reports: Sequence[StatementReport], migrations: Iterable[Migration]
) -> list[StatementReport]:
    """The reports with the index findings' recipes said in their tool's language."""
    formats = {m.path: m.format for m in migrations}
    out = []
    for report in reports:
        fmt = formats.get(report.statement.location.file)
        if fmt is not None and fmt != "sql" and any(f.rule in INDEX_RULES for f in report.findings):
            partitioned = any(lock.role == "partition" for lock in report.prediction.locks)
            if not partitioned:
                findings = tuple(_said(f, report.statement, fmt) for f in report.findings)
                report = dataclasses.replace(report, findings=findings)
        out.append(report)
    return out


def _said(finding: Finding, statement: Statement, fmt: str) -> Finding:
    if finding.rule not in INDEX_RULES:
        return finding
    concurrent = _concurrentsql_text(statement.node)
    if concurrent is None:
        return finding
    steps = _steps(fmt, statement, concurrent)
    if steps is None:
        return finding
    return dataclasses.replace(finding, recipe=steps)


def _concurrentsql_text(node: object) -> str | None:
    """The statement as it should run: CONCURRENTLY, IF [NOT] EXISTS; None if no index."""
    if isinstance(node, ast.IndexStmt):
        # Its text with the words put in (a copy of the tree set and printed again, the
        # same text, was a fortieth of bench/analyze.py's run).
        return f"{build_concurrently(sql_text(node), named=bool(node.idxname))};"
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        safe = copy.copy(node)
        safe.concurrent, safe.missing_ok = True, True
        return f"{sql_text(safe)};"
    return None


def _steps(fmt: str, statement: Statement, concurrent: str) -> tuple[str, ...] | None:
    node, origin = statement.node, statement.origin or ""
    scope = statement.transaction.scope
    if fmt == "alembic":
        return (_alembic(node, concurrent),)
    if fmt == "django":
        return (_django(origin, concurrent),)
    if fmt == "sequelize":
        return (_sequelize(node, concurrent),)
    if fmt == "knex":
        return (
            "// Knex: run this migration without a transaction (knex has no CONCURRENTLY "
            "option)\nexport const config = { transaction: false };  "
            "// CommonJS: exports.config = { transaction: false };\n"
            f"await knex.raw({_js(concurrent)});",
        )
    if fmt == "typeorm":
        return (
            "// TypeORM: in the migration class, run it without a transaction\n"
            "transaction = false;\n"
            f"await queryRunner.query({_js(concurrent)});",
        )
    if scope is TxScope.AUTOCOMMIT:
        return None  # alone in its file: the rule's SQL is what to write, where it is
    return (_own_migration(fmt, statement.location.file), concurrent)


def _alembic(node: object, concurrent: str) -> str:
    head = (
        "# Alembic: outside the migration's transaction\n"
        "with op.get_context().autocommit_block():\n"
    )
    if isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
        columns = _plain_columns(node)
        if columns is not None:
            args = [
                _py(node.idxname),
                _py(node.relation.relname),
                "[" + ", ".join(map(_py, columns)) + "]",
            ]
            if node.unique:
                args.append("unique=True")
            if node.relation.schemaname:
                args.append(f"schema={_py(node.relation.schemaname)}")
            if node.accessMethod and node.accessMethod != "btree":
                args.append(f"postgresql_using={_py(node.accessMethod)}")
            if node.whereClause is not None:
                args.append(f"postgresql_where=sa.text({_py(sql_text(node.whereClause))})")
            args += ["postgresql_concurrently=True", "if_not_exists=True"]
            return (
                head + "    op.create_index(\n" + "".join(f"        {a},\n" for a in args) + "    )"
            )
    if isinstance(node, ast.DropStmt) and len(node.objects or ()) == 1:
        names = [n.sval for n in node.objects[0]] if isinstance(node.objects[0], tuple) else []
        if names:
            args = [_py(names[-1])]
            if len(names) > 1:
                args.append(f"schema={_py(names[0])}")
            args += ["postgresql_concurrently=True", "if_exists=True"]
            return head + f"    op.drop_index({', '.join(args)})"
    return head + f"    op.execute({_py(concurrent)})"


def _plain_columns(node: ast.IndexStmt) -> list[str] | None:
    """The index's columns when each is a plain column, as op.create_index takes them."""
    columns = []
    for elem in node.indexParams or ():
        if not isinstance(elem, ast.IndexElem) or not elem.name or elem.opclass or elem.collation:
            return None
        columns.append(elem.name)
    if node.indexIncludingParams:
        return None
    return columns or None


def _django(origin: str, concurrent: str) -> str:
    head = (
        "# Django: a migration of its own that is not atomic\n"
        "from django.contrib.postgres.operations import {op}\n\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
    )
    for plain in ("AddIndex", "RemoveIndex"):
        if origin in (f"migrations.{plain}", f"migrations.{plain}Concurrently"):
            return (
                head.format(op=f"{plain}Concurrently")
                + f"    operations = [{plain}Concurrently(...)]  # the {plain}'s own arguments"
            )
    return (
        "# Django: a migration of its own that is not atomic\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        f"    operations = [migrations.RunSQL({_py(concurrent)})]"
    )


def _sequelize(node: object, concurrent: str) -> str:
    head = (
        "// Sequelize: without a transaction "
        "(no { transaction } option, not in sequelize.transaction())\n"
    )
    if isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
        columns = _plain_columns(node)
        if columns is not None and node.whereClause is None:
            options = [f"name: {_js(node.idxname)}"]
            if node.unique:
                options.append("unique: true")
            options.append("concurrently: true")
            return (
                head + f"await queryInterface.addIndex({_js(node.relation.relname)}, "
                f"[{', '.join(map(_js, columns))}], {{ {', '.join(options)} }});"
            )
    return head + f"await queryInterface.sequelize.query({_js(concurrent)});"


def _own_migration(fmt: str, path: str) -> str:
    folder, base = os.path.split(path)
    if fmt == "prisma":
        parent, name = os.path.split(folder)
        where = os.path.join(parent, f"{name}_2_index", base)
        return (
            f"-- Prisma sends migration.sql as one query, one transaction: split this into its "
            f"own migration, {where}, holding only:"
        )
    if fmt == "flyway":
        found = re.match(r"^V(\d+(?:[._]\d+)*)__(.+)\.sql$", base, re.IGNORECASE)
        name = (
            f"V{found.group(1)}.1__{found.group(2)}_index.sql" if found else "a script of its own"
        )
        return (
            f"-- Flyway runs this script in a transaction: split this into its own script, "
            f"{os.path.join(folder, name)}, holding only (Flyway runs it without one):"
        )
    if fmt == "golang-migrate":
        found = re.match(r"^(\d+)(_.*)\.up\.sql$", base)
        name = "a file of its own"
        if found:
            version = str(int(found.group(1)) + 1).zfill(len(found.group(1)))
            name = f"{version}{found.group(2)}_index.up.sql"
        return (
            "-- golang-migrate sends the file as one query, one transaction: split this into its "
            f"own migration, {os.path.join(folder, name)} (a free version before the next), "
            "holding only:"
        )
    if fmt == "dbmate":
        return (
            "-- dbmate: a migration of its own whose up section is "
            "`-- migrate:up transaction:false`:"
        )
    if fmt == "drizzle":
        return (
            "-- drizzle-orm's migrator runs every pending file in one transaction, where this "
            "fails: split it into its own migration (drizzle-kit generate --custom) and apply "
            "that one outside the migrator:"
        )
    return "-- in a migration of its own, which the tool runs without a transaction:"


def _py(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _js(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
