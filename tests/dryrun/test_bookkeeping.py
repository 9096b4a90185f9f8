"""The migration tool's own table on a throwaway server: created as the tool creates it,
written after each file as the tool writes it, and never observed as the migration's."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import VerdictKind
from pgfence.sources import load_migrations

pytestmark = pytest.mark.postgres


def _files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _run(server, root: Path, fmt: str, database: str):
    migrations = load_migrations([str(root)], fmt=fmt)
    report = dry_run(server, migrations, DryRunOptions(database=database))
    return report, server.dsn(database, superuser=True)


def test_a_golang_migrate_history_that_alters_schema_migrations_runs_through(
    pg, tmp_path, database_name
):
    # As a real history does: a later file adds a column to the tool's table.
    root = _files(
        tmp_path / "db",
        {
            "000001_init.up.sql": "CREATE TABLE q (id serial PRIMARY KEY, name text);\n",
            "000001_init.down.sql": "DROP TABLE q;\n",
            "000002_note.up.sql": "ALTER TABLE schema_migrations ADD COLUMN data_version int;\n",
            "000003_more.up.sql": "ALTER TABLE q ADD COLUMN note text;\n",
        },
    )
    report, dsn = _run(pg, root, "golang-migrate", database_name)
    assert all(s.observation and s.observation.error is None for s in report.statements)
    assert len(report.statements) == 3
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version, dirty FROM schema_migrations").fetchall()
        columns = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'schema_migrations'::regclass"
            " AND attnum > 0 ORDER BY attnum"
        ).fetchall()
    assert rows == [(3, False)]  # golang-migrate keeps one row: the last version
    assert [c for (c,) in columns] == ["version", "dirty", "data_version"]


def test_the_tool_s_writes_are_not_reported_as_the_migration_s(pg, tmp_path, database_name):
    root = _files(
        tmp_path / "m",
        {
            "20240101000000_a/migration.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
            "20240102000000_b/migration.sql": "ALTER TABLE a ADD COLUMN b text;\n",
        },
    )
    report, dsn = _run(pg, root, "prisma", database_name)
    assert [s.verdict.kind for s in report.statements if s.verdict] == [
        VerdictKind.CONFIRMED,
        VerdictKind.CONFIRMED,
    ]
    for s in report.statements:
        assert s.observation is not None
        assert not any("_prisma_migrations" in lock.relation for lock in s.observation.locks)
    with psycopg.connect(dsn) as conn:
        names = conn.execute(
            'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name'
        ).fetchall()
    assert names == [("20240101000000_a",), ("20240102000000_b",)]


def test_a_file_that_failed_is_not_recorded_and_a_dumped_table_is_kept(pg, tmp_path, database_name):
    # The table is already there (a staging dump holds it): it is not created again.
    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n"
        "INSERT INTO alembic_version VALUES ('base');\n"
    )
    root = _files(
        tmp_path / "versions",
        {
            "aaa111_first.py": (
                "revision = 'aaa111'\ndown_revision = None\nfrom alembic import op\n"
                "def upgrade():\n    op.execute('CREATE TABLE t (id int)')\n"
            ),
            "bbb222_second.py": (
                "revision = 'bbb222'\ndown_revision = 'aaa111'\nfrom alembic import op\n"
                "def upgrade():\n    op.execute('ALTER TABLE missing ADD COLUMN x int')\n"
            ),
        },
    )
    for database, files in ((database_name, None), (f"{database_name}_ok", ["aaa111_first.py"])):
        paths = [str(root / f) for f in files] if files else [str(root)]
        migrations = load_migrations(paths, fmt="alembic")
        dry_run(pg, migrations, DryRunOptions(schema_file=str(schema), database=database))
    versions = []
    for database in (database_name, f"{database_name}_ok"):
        with psycopg.connect(pg.dsn(database, superuser=True)) as conn:
            versions.append(conn.execute("SELECT version_num FROM alembic_version").fetchall())
    # Alembic runs the upgrade in one transaction: the failed second file rolls the first
    # back with it, and its row stays; alone, the first file replaces the row.
    assert versions == [[("base",)], [("aaa111",)]]
