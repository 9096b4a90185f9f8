"""A wait pgfence caused is a note on the row, never a finding; someone else's still is."""

from __future__ import annotations

import json
import os
import threading
import time

import psycopg
import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.sources.sql import read_sql_file
from tests.support import pgfence as run

pytestmark = pytest.mark.postgres

SCHEMA = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, created_at timestamptz);\n"


def concurrent_build(n: int) -> str:
    return (
        "SET lock_timeout = '2s';\n"
        "SET statement_timeout = '60s';\n"
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_c{n}_idx ON accounts (created_at);\n"
    )


def test_pgfence_own_snapshot_wait_is_a_note_not_a_finding(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    folder = tmp_path / "migrations"
    folder.mkdir()
    for n in (1, 2, 3):
        (folder / f"000{n}_index.sql").write_text(concurrent_build(n))
    report = tmp_path / "report.json"
    result = run(
        "dryrun",
        "--schema",
        str(schema),
        "--show-statements",
        "-o",
        f"json={report}",
        str(folder),
        env=dict(os.environ, COLUMNS="100"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    builds = [s for s in data["statements"] if "CONCURRENTLY" in s["sql"]]
    assert len(builds) == 3
    for s in builds:
        assert s["observed"]["waited_for_pgfence"] is True
        assert s["observed"]["waited_for_lock"] is False
        assert s["verdict"]["kind"] == "confirmed"
        assert [f["rule"] for f in s["findings"]] == []
    assert "waited-for-lock" not in result.stdout
    assert result.stdout.count("pgfence's own") == 3  # the note, once per row
    assert "no findings" in result.stdout


def test_a_concurrent_build_waiting_for_someone_elses_transaction_is_a_finding(
    pg, tmp_path, database_name
):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    migration = tmp_path / "0001_index.sql"
    # The sleep leaves time for the other session to open its transaction first.
    migration.write_text(
        "SELECT pg_sleep(0.5);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_created_idx ON accounts (created_at);\n"
    )
    opened = threading.Event()

    def older_transaction() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = psycopg.connect(pg.dsn(database_name), autocommit=True)
                break
            except psycopg.OperationalError:
                time.sleep(0.02)  # the dry-run has not created the database yet
        else:
            return
        with conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT 1")
            opened.set()
            time.sleep(1.5)
            conn.execute("COMMIT")

    other = threading.Thread(target=older_transaction, daemon=True)
    other.start()
    options = DryRunOptions(schema_file=str(schema), database=database_name)
    report = dry_run(pg, [read_sql_file(str(migration))], options)
    other.join(10)
    assert opened.is_set()
    build = report.statements[1]
    assert build.observation is not None
    assert build.observation.waited_for_lock
    [waited] = [f for f in build.findings if f.rule == "waited-for-lock"]
    assert "not pgfence's" in waited.message and "reads and writes go on" in waited.message
