"""The migration tool's own bookkeeping table, as the tool keeps it.

Before the first migration a runner creates the table where it records what it applied
(golang-migrate's `schema_migrations`, Alembic's `alembic_version`, …), and after each
migration it writes a row there. Real migrations read and alter that table (a history
that adds a column to `schema_migrations` stops at that file on a server where the table
is missing), so on a throwaway server the dry-run keeps it the way the tool would: the
table is created, if it is not there yet, before the migrations run, and after each file
its row is written, in the tool's transaction when one is open (as Alembic, Django and
Flyway do) and otherwise on its own. These statements are the tool's, not the
migration's: they are not observed, judged or reported. Never done on `--dsn`: there the
tool's table is the user's, and already there.

The DDL is the tool's own (checked against each tool's source), so that a migration that
alters the table finds the columns it expects.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pgfence.model import Migration

Row = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Bookkeeping:
    tool: str
    table: str  # as to_regclass takes it
    create: tuple[str, ...]
    record: Callable[[Migration, int], Sequence[Row]]


def _digits(migration: Migration) -> int:
    match = re.match(r"\D*(\d+)", _stem(migration))
    return int(match.group(1)) if match else 0


def _stem(migration: Migration) -> str:
    path = Path(migration.path)
    if path.name in ("migration.sql", "up.sql"):  # Prisma, Drizzle-style folders
        return path.parent.name
    return path.name.split(".")[0]


def _checksum(migration: Migration) -> str:
    """A stable 64-hex value per file (the tools hash the file's text; nothing reads it)."""
    return hashlib.sha256(migration.path.encode()).hexdigest()


def _golang_migrate(m: Migration, _n: int) -> Sequence[Row]:
    # SetVersion: the one row replaced, in a transaction of its own.
    return [
        ('TRUNCATE "schema_migrations"', ()),
        ('INSERT INTO "schema_migrations" (version, dirty) VALUES (%s, %s)', (_digits(m), False)),
    ]


def _flyway(m: Migration, n: int) -> Sequence[Row]:
    version = re.match(r"[VR]?([^_]*)", _stem(m))
    return [
        (
            'INSERT INTO "flyway_schema_history" (installed_rank, version, description, type,'
            " script, checksum, installed_by, execution_time, success)"
            " VALUES (%s, %s, %s, 'SQL', %s, 0, current_user, 0, true)",
            (
                n,
                (version.group(1) if version else "")[:50],
                _stem(m)[:200],
                Path(m.path).name[:1000],
            ),
        )
    ]


def _alembic(m: Migration, _n: int) -> Sequence[Row]:
    # Alembic updates its one row (inserts it the first time); the same row at the end.
    revision = _stem(m).split("_")[0][:32]
    return [
        ("DELETE FROM alembic_version", ()),
        ("INSERT INTO alembic_version (version_num) VALUES (%s)", (revision,)),
    ]


def _django(m: Migration, _n: int) -> Sequence[Row]:
    path = Path(m.path)
    app = path.parent.parent.name if path.parent.name == "migrations" else path.parent.name
    return [
        (
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
            (app[:255], path.stem[:255]),
        )
    ]


BY_FORMAT: dict[str, Bookkeeping] = {
    "golang-migrate": Bookkeeping(
        "golang-migrate",
        "schema_migrations",
        (
            'CREATE TABLE IF NOT EXISTS "schema_migrations"'
            " (version bigint not null primary key, dirty boolean not null)",
        ),
        _golang_migrate,
    ),
    "dbmate": Bookkeeping(
        "dbmate",
        "schema_migrations",
        ("create table if not exists public.schema_migrations (version varchar(128) primary key)",),
        lambda m, _n: [
            (
                "insert into public.schema_migrations (version) values (%s)",
                (str(_digits(m)),),
            )
        ],
    ),
    "flyway": Bookkeeping(
        "Flyway",
        "flyway_schema_history",
        (
            'CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL,'
            ' "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,'
            ' "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,'
            ' "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,'
            ' "installed_on" TIMESTAMP NOT NULL DEFAULT now(),'
            ' "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)',
            'ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk"'
            ' PRIMARY KEY ("installed_rank")',
            'CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")',
        ),
        _flyway,
    ),
    "alembic": Bookkeeping(
        "Alembic",
        "alembic_version",
        (
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
            " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        ),
        _alembic,
    ),
    "django": Bookkeeping(
        "Django",
        "django_migrations",
        (
            'CREATE TABLE "django_migrations" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY'
            ' DEFAULT AS IDENTITY, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL,'
            ' "applied" timestamp with time zone NOT NULL)',
        ),
        _django,
    ),
    "sequelize": Bookkeeping(
        "Sequelize",
        '"SequelizeMeta"',
        (
            'CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE,'
            ' PRIMARY KEY ("name"))',
        ),
        lambda m, _n: [
            ('INSERT INTO "SequelizeMeta" ("name") VALUES (%s)', (Path(m.path).name[:255],))
        ],
    ),
    "knex": Bookkeeping(
        "Knex",
        "knex_migrations",
        (
            'create table "knex_migrations" ("id" serial primary key, "name" varchar(255),'
            ' "batch" integer, "migration_time" timestamptz)',
            'create table "knex_migrations_lock" ("index" serial primary key, "is_locked" integer)',
            'insert into "knex_migrations_lock" ("is_locked") values (0)',
        ),
        lambda m, _n: [
            (
                'insert into "knex_migrations" ("batch", "migration_time", "name")'
                " values (1, now(), %s)",
                (Path(m.path).name[:255],),
            )
        ],
    ),
    "typeorm": Bookkeeping(
        "TypeORM",
        '"migrations"',
        (
            'CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL,'
            ' "name" character varying NOT NULL,'
            ' CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))',
        ),
        lambda m, _n: [
            (
                'INSERT INTO "migrations"("timestamp", "name") VALUES (%s, %s)',
                (_digits(m), _stem(m)),
            )
        ],
    ),
    "prisma": Bookkeeping(
        "Prisma",
        '"_prisma_migrations"',
        (
            'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL,'
            ' "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,'
            ' "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,'
            ' "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),'
            ' "applied_steps_count" INTEGER NOT NULL DEFAULT 0)',
        ),
        lambda m, _n: [
            (
                'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name,'
                " applied_steps_count) VALUES (%s, %s, now(), %s, 1)",
                (str(uuid.uuid5(uuid.NAMESPACE_URL, m.path)), _checksum(m), _stem(m)[:255]),
            )
        ],
    ),
    "drizzle": Bookkeeping(
        "Drizzle",
        'drizzle."__drizzle_migrations"',
        (
            'CREATE SCHEMA IF NOT EXISTS "drizzle"',
            'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY,'
            " hash text NOT NULL, created_at bigint)",
        ),
        lambda m, n: [
            (
                'insert into "drizzle"."__drizzle_migrations" ("hash", "created_at")'
                " values (%s, %s)",
                (_checksum(m), n),
            )
        ],
    ),
}


def tools_of(migrations: Sequence[Migration]) -> list[Bookkeeping]:
    """The bookkeeping of each tool whose migrations these are, in first-seen order."""
    seen: dict[str, Bookkeeping] = {}
    for migration in migrations:
        keeping = BY_FORMAT.get(migration.format)
        if keeping is not None:
            seen.setdefault(migration.format, keeping)
    return list(seen.values())


def create(dsn: str, migrations: Sequence[Migration]) -> list[str]:
    """Create each tool's table that is not there yet (a schema dump may hold it already);
    the tables created, for the progress line."""
    created = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for keeping in tools_of(migrations):
            row = conn.execute("SELECT to_regclass(%s)", (keeping.table,)).fetchone()
            if row is not None and row[0] is not None:
                continue
            with conn.transaction():
                for statement in keeping.create:
                    conn.execute(sql.SQL(statement))
            created.append(f"{keeping.table} ({keeping.tool})")
    return created


class Recorder:
    """Writes each file's row after it ran, in the open transaction if there is one."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.count: dict[str, int] = {}

    def record(self, migration: Migration) -> bool:
        """Write `migration`'s row; True when it was written in an open transaction (whose
        locks now include the tool's on its table)."""
        keeping = BY_FORMAT.get(migration.format)
        if keeping is None:
            return False
        status = self.conn.info.transaction_status
        if status == psycopg.pq.TransactionStatus.INERROR:
            return False  # the tool's transaction failed: it records nothing
        n = self.count[migration.format] = self.count.get(migration.format, 0) + 1
        rows = keeping.record(migration, n)
        # In the tool's open transaction, a savepoint, so that a table the migrations
        # changed out of the tool's shape does not abort it; alone, a transaction.
        if status == psycopg.pq.TransactionStatus.INTRANS:
            begin, end = "SAVEPOINT pgfence_bookkeeping", "RELEASE SAVEPOINT pgfence_bookkeeping"
            undo = ["ROLLBACK TO SAVEPOINT pgfence_bookkeeping", end]
        else:
            begin, end, undo = "BEGIN", "COMMIT", ["ROLLBACK"]
        self.conn.execute(begin)
        try:
            for text, params in rows:
                self.conn.execute(sql.SQL(text), params)
        except psycopg.Error:
            for part in undo:
                self.conn.execute(part)
            return False
        self.conn.execute(end)
        return status == psycopg.pq.TransactionStatus.INTRANS
