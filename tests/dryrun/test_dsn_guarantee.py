"""--dsn, as an adversary would try it: nothing may commit, nothing may outlive the rollback,
and pgfence's lock cap holds whatever the migration does.

Every test takes a snapshot of the target before and after (schema, rows, sequences,
roles, slots, prepared transactions, settings, large objects, statistics, advisory locks,
files, other sessions) and compares them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.pq import TransactionStatus

from pgfence.dryrun.guard import ExistingServerGuard
from pgfence.dryrun.probe import Sessions
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers.existing import ExistingServer
from pgfence.sources import load_migrations
from tests.support import PGFENCE, database_with, pgfence

pytestmark = pytest.mark.postgres

TARGET = """
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE TABLE orders (id serial PRIMARY KEY, n int);
CREATE TABLE plain (a int);
CREATE TABLE audited (a int);
CREATE SEQUENCE s;
INSERT INTO orders (n) SELECT g FROM generate_series(1, 10) g;
INSERT INTO plain VALUES (1), (2);
CREATE FUNCTION bump() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('s') $$;
CREATE FUNCTION indirect() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN bump(); END $$;
CREATE FUNCTION atomic_bump() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT nextval('s'); END;
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM nextval('s'); RETURN NEW; END $$;
CREATE TRIGGER audited_ins BEFORE INSERT ON audited FOR EACH ROW EXECUTE FUNCTION audit();
CREATE PROCEDURE committing() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;
CREATE FUNCTION harmless(x int) RETURNS int LANGUAGE sql AS $$ SELECT x + 1 $$;
"""


@pytest.fixture
def target(pg, database_name):
    return database_with(pg, database_name, TARGET, superuser=True)


@pytest.fixture
def sentinel(target):
    """Another session on the target, which must still be there afterwards."""
    with psycopg.connect(target, autocommit=True, application_name="sentinel") as conn:
        yield conn


def snapshot(pg, dsn: str, files: Path) -> dict[str, object]:
    dump = subprocess.run(
        [str(Path(pg.bin_dir) / "pg_dump"), "--schema-only", "--dbname", dsn],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    state: dict[str, object] = {
        "schema": [
            line
            for line in dump.splitlines()
            if not line.startswith(("\\restrict", "\\unrestrict"))
        ]
    }
    with psycopg.connect(dsn, autocommit=True) as conn:

        def rows(query: str) -> list[tuple[object, ...]]:
            return conn.execute(query).fetchall()

        tables = [t for (t,) in rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        state["rows"] = {
            t: conn.execute(
                sql.SQL(
                    "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM {} x"
                ).format(sql.Identifier(t))
            ).fetchone()
            for t in tables
        }
        state["sequences"] = rows("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
        state["roles"] = rows("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1")
        state["slots"] = rows("SELECT slot_name FROM pg_replication_slots ORDER BY 1")
        state["prepared"] = rows("SELECT gid FROM pg_prepared_xacts ORDER BY 1")
        state["file_settings"] = rows("SELECT name, setting FROM pg_file_settings ORDER BY 1, 2")
        state["large_objects"] = rows("SELECT oid FROM pg_largeobject_metadata ORDER BY 1")
        state["analyzed"] = rows(
            "SELECT relname, analyze_count, vacuum_count, last_analyze, last_vacuum "
            "FROM pg_stat_user_tables ORDER BY 1"
        )
        state["reltuples"] = rows(
            "SELECT relname, reltuples, relpages FROM pg_class WHERE relnamespace = "
            "'public'::regnamespace ORDER BY 1"
        )
        state["stats_reset"] = rows(
            "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"
        )
        state["advisory"] = rows("SELECT objid FROM pg_locks WHERE locktype = 'advisory'")
        state["sessions"] = rows(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() ORDER BY 1"
        )
    state["files"] = sorted(p.name for p in files.iterdir())
    return state


def run(dsn: str, tmp_path: Path, body: str, **options: object):
    path = tmp_path / "migrations" / "0001_attack.sql"
    path.parent.mkdir(exist_ok=True)
    path.write_text(body)
    with ExistingServer(dsn) as server:
        return dry_run(server, load_migrations([str(path)]), DryRunOptions(**options))


# Each: SQL that would leave a trace after ROLLBACK, and a word of the reason pgfence gives.
ATTACKS = [
    ("SELECT nextval('s')", "sequence"),
    ("SELECT setval('s', 100)", "sequence"),
    ("INSERT INTO orders (n) VALUES (1)", "orders.id from a sequence"),
    ("INSERT INTO orders DEFAULT VALUES", "from a sequence"),
    ("INSERT INTO orders VALUES (DEFAULT, 5)", "from a sequence"),
    ("INSERT INTO orders (n) SELECT 1", "from a sequence"),
    ("UPDATE orders SET id = DEFAULT WHERE id = 1", "from a sequence"),
    ("COPY orders (n) FROM stdin;\n7\n\\.", "from a sequence"),
    ("SELECT bump()", "nextval"),
    ("SELECT indirect()", "nextval"),
    ("SELECT atomic_bump()", "nextval"),
    ("INSERT INTO audited VALUES (1)", "nextval"),
    ("WITH x AS (SELECT nextval('s')) SELECT * FROM x", "nextval"),
    ("SELECT * FROM plain WHERE a < nextval('s')", "nextval"),
    ("DO $$ BEGIN PERFORM setval('s', 5); END $$", "setval"),
    ("DO $$ DECLARE v bigint; BEGIN v := nextval('s'); END $$", "nextval"),
    ("DO $$ BEGIN EXECUTE 'SELECT nextval(''s'')'; END $$", "EXECUTE"),
    ("DO LANGUAGE sql $$ SELECT nextval('s') $$", "nextval"),
    ("CALL committing()", "ends transactions"),
    ("COPY plain TO '{files}/out.csv'", "file on the server"),
    ("COPY plain FROM PROGRAM 'touch {files}/ran'", "program"),
    ("COPY (SELECT 1) TO PROGRAM 'touch {files}/ran2'", "program"),
    ("SELECT lo_export(lo_creat(-1), '{files}/lo')", "lo_export"),
    ("SELECT pg_advisory_lock(42)", "advisory"),
    ("SELECT pg_try_advisory_lock_shared(43)", "advisory"),
    ("NOTIFY channel", "notification"),
    ("SELECT pg_notify('channel', 'x')", "notification"),
    ("VACUUM plain", "VACUUM"),
    ("ANALYZE plain", "ANALYZE"),
    ("SELECT pg_stat_reset()", "statistics"),
    ("SELECT pg_stat_reset_single_table_counters('plain'::regclass)", "statistics"),
    ("SELECT pg_create_physical_replication_slot('pgfence_attack')", "slot"),
    ("SELECT pg_terminate_backend({sentinel})", "signals"),
    ("SELECT pg_cancel_backend({sentinel})", "signals"),
    ("ALTER SYSTEM SET work_mem = '7MB'", "ALTER SYSTEM"),
    ("CHECKPOINT", "outside any transaction"),
    ("LOAD 'auto_explain'", "LOAD"),
    ("SELECT dblink_exec('{dsn}', 'CREATE TABLE leaked (a int)')", "connection of its own"),
    ("SELECT pg_reload_conf()", "outside any transaction"),
    ("PREPARE TRANSACTION 'pgfence_attack'", "prepared transaction"),
    ("COMMIT", "transaction control"),
]


def test_no_statement_with_a_lasting_effect_runs_and_the_target_is_unchanged(
    pg, target, sentinel, tmp_path
):
    files = tmp_path / "files"
    files.mkdir()
    before = snapshot(pg, target, files)
    values = {"files": files, "sentinel": sentinel.info.backend_pid, "dsn": target}
    for attack, reason in ATTACKS:
        body = attack.format(**values)
        report = run(target, tmp_path, body + ";\n")
        observation = report.statements[0].observation
        assert not observation.ran, attack
        assert reason in observation.not_run_reason, (attack, observation.not_run_reason)
    assert snapshot(pg, target, files) == before


HARMLESS = [
    "INSERT INTO plain VALUES (3)",
    "INSERT INTO orders (id, n) VALUES (100, 1)",
    "INSERT INTO orders VALUES (101, 1)",
    "SELECT pg_advisory_xact_lock(1)",
    "SELECT harmless(1)",
    "ALTER TABLE orders ALTER COLUMN n SET DEFAULT nextval('s')",
    "CREATE TABLE t2 (id int DEFAULT nextval('s'))",
    "CREATE FUNCTION later() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('s') $$",
    "ALTER TABLE plain ADD COLUMN b int",
    "UPDATE plain SET a = a + 1",
    "DO $$ BEGIN PERFORM 1; END $$",
]


def test_what_leaves_no_trace_runs_and_is_rolled_back(pg, target, tmp_path):
    """The filter is not "refuse everything": ordinary migration statements run."""
    files = tmp_path / "files"
    files.mkdir()
    before = snapshot(pg, target, files)
    report = run(target, tmp_path, ";\n".join(HARMLESS) + ";\n")
    for statement in report.statements:
        assert statement.observation.ran, statement.statement.sql
        assert statement.observation.error is None, statement.observation.error
    assert snapshot(pg, target, files) == before


def test_an_event_trigger_that_advances_a_sequence_keeps_ddl_from_running(pg, target, tmp_path):
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql "
            "AS $$ BEGIN PERFORM nextval('s'); END $$"
        )
        conn.execute("CREATE EVENT TRIGGER pgfence_et ON ddl_command_end EXECUTE FUNCTION on_ddl()")
    files = tmp_path / "files"
    files.mkdir()
    before = snapshot(pg, target, files)
    report = run(target, tmp_path, "ALTER TABLE plain ADD COLUMN c int;\nSELECT 1;\n")
    ddl, select = report.statements
    assert not ddl.observation.ran and "event trigger" in ddl.observation.not_run_reason
    assert select.observation.ran
    assert snapshot(pg, target, files) == before


# The three splitter divergences that made --dsn commit, and a fourth through Alembic.
SMUGGLED = {
    "escape": "SET standard_conforming_strings = off;\n"
    "SELECT 'x\\''; COMMIT; DROP TABLE orders; SELECT 1 --';\n",
    "no-break space": "SELECT 1 AS \u00a0$x$; COMMIT; DROP TABLE orders; SELECT 1 AS b$x$;\n",
    "carriage return": "SELECT 1 -- x\r; COMMIT; DROP TABLE orders; SELECT 2\n, 3;\n",
}


@pytest.mark.parametrize("name", SMUGGLED)
def test_a_commit_smuggled_past_the_splitter_never_commits(pg, target, tmp_path, name):
    files = tmp_path / "files"
    files.mkdir()
    before = snapshot(pg, target, files)
    path = tmp_path / "attack.sql"
    path.write_bytes(SMUGGLED[name].encode())
    result = pgfence("dryrun", "--dsn", target, "--format", "json", str(path))
    assert result.returncode == 1, result.stderr  # DROP TABLE is a critical finding
    assert snapshot(pg, target, files) == before
    sent = [s for s in _statements(result.stdout) if s["observed"]["ran"]]
    assert all("COMMIT" not in s["sql"].upper() for s in sent)


def test_alembic_op_execute_cannot_smuggle_a_commit(pg, target, tmp_path):
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_attack.py").write_text(
        '"""attack"""\nfrom alembic import op\n\nrevision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.execute("SELECT 1 -- x\\r; COMMIT; DROP TABLE orders; SELECT 2\\n, 3")\n'
    )
    files = tmp_path / "files"
    files.mkdir()
    before = snapshot(pg, target, files)
    result = pgfence("dryrun", "--dsn", target, "--format", "json", str(versions))
    assert result.returncode == 1, result.stdout + result.stderr
    statements = _statements(result.stdout)
    assert [s["sql"].split()[0].upper() for s in statements] == [
        "SELECT",
        "COMMIT",
        "DROP",
        "SELECT",
    ]
    assert snapshot(pg, target, files) == before


def _statements(report_json: str) -> list[dict]:
    import json

    return json.loads(report_json)["statements"]


def test_the_server_refuses_a_text_of_several_statements(pg, target):
    """The structural half of the guarantee: whatever the splitter did, the migration's
    session cannot run two statements from one text."""
    sessions = Sessions.open(target)
    try:
        guard = ExistingServerGuard(sessions, 2.0, 60.0, pg.major)
        guard.begin()
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            sessions.migration.execute("SELECT 1; COMMIT; DROP TABLE orders")
        with (
            pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"),
            sessions.migration.cursor() as cur,
            cur.copy("SELECT 1; COPY plain FROM STDIN"),
        ):
            pass
        assert sessions.migration.info.transaction_status is TransactionStatus.INERROR
        assert guard.transaction_lost() is None
    finally:
        sessions.migration.execute("ROLLBACK")
        sessions.close()
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT to_regclass('orders') IS NOT NULL").fetchone() == (True,)


def test_the_transaction_status_check_sees_a_transaction_that_ended(pg, target):
    sessions = Sessions.open(target)
    try:
        guard = ExistingServerGuard(sessions, 2.0, 60.0, pg.major)
        guard.begin()
        assert guard.transaction_lost() is None
        sessions.migration.execute("COMMIT")  # what no statement of a migration can do here
        assert "no longer open" in (guard.transaction_lost() or "")
    finally:
        sessions.close()


def test_a_text_that_changed_after_analysis_is_not_sent(pg, target, tmp_path):
    import dataclasses

    path = tmp_path / "0001.sql"
    path.write_text("SELECT 1;\n")
    [migration] = load_migrations([str(path)])
    forged = dataclasses.replace(migration.statements[0], sql="COMMIT")
    migration = dataclasses.replace(migration, statements=(forged,))
    with ExistingServer(target) as server:
        report = dry_run(server, [migration], DryRunOptions())
    observation = report.statements[0].observation
    assert not observation.ran and "parsed again" in observation.not_run_reason


# ---- the lock cap ------------------------------------------------------------------------------

LIFTS = {
    "lock_timeout 0": "SET lock_timeout = 0;\n",
    "longer lock_timeout": "SET lock_timeout = '1h';\n",
    "reset all": "RESET ALL;\n",
    "session authorization": "SET SESSION AUTHORIZATION pgfence_owner;\n",
    "set_config": "SELECT set_config('lock_timeout', '0', false);\n",
}


@pytest.mark.parametrize("name", LIFTS)
def test_the_migration_cannot_lift_the_lock_cap(pg, target, tmp_path, name):
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN CREATE ROLE pgfence_owner; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        conn.execute("ALTER TABLE plain OWNER TO pgfence_owner")
    with psycopg.connect(target) as traffic:
        traffic.execute("SELECT count(*) FROM plain")  # ACCESS SHARE until it ends
        start = time.monotonic()
        report = run(
            target,
            tmp_path,
            LIFTS[name] + "ALTER TABLE plain ADD COLUMN z int;\n",
            lock_timeout_s=0.5,
        )
        elapsed = time.monotonic() - start
        traffic.rollback()
    lift, alter = report.statements
    assert lift.observation.ran and lift.observation.error is None
    assert alter.observation.error is not None and alter.observation.error.sqlstate == "55P03"
    assert elapsed < 20  # not the hour the migration asked for


def test_a_lock_wait_inside_one_statement_is_capped(pg, target, tmp_path):
    body = (
        "DO $$ BEGIN PERFORM set_config('lock_timeout', '0', true); "
        "ALTER TABLE plain ADD COLUMN z int; END $$;\n"
    )
    with psycopg.connect(target) as traffic:
        traffic.execute("SELECT count(*) FROM plain")
        report = run(target, tmp_path, body, lock_timeout_s=0.5, statement_timeout_s=30)
        traffic.rollback()
    error = report.statements[0].observation.error
    assert error is not None and error.sqlstate == "55P03" and "cap" in error.message
    assert [f.rule for f in report.statements[0].findings if f.dynamic] == ["lock-timeout"]


def test_a_killed_pgfence_leaves_no_lock_behind(pg, target, tmp_path):
    path = tmp_path / "0001.sql"
    path.write_text("ALTER TABLE plain ADD COLUMN k int;\nSELECT pg_sleep(60);\n")
    process = subprocess.Popen(
        [*PGFENCE, "dryrun", "--dsn", target, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    held = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.relation = 'plain'::regclass AND l.mode = 'AccessExclusiveLock'"
    )
    try:
        with psycopg.connect(target, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while watcher.execute(held).fetchone()[0] == 0:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed = time.monotonic()
            while watcher.execute(held).fetchone()[0] != 0:
                assert time.monotonic() - killed < 15, "the lock outlived pgfence"
                time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()


def test_isolate_does_not_apply_to_dsn(target, tmp_path):
    path = tmp_path / "0001.sql"
    path.write_text("SELECT 1;\n")
    result = pgfence("dryrun", "--dsn", target, "--isolate", str(path))
    assert result.returncode == 2
    assert "--isolate" in result.stderr and "Traceback" not in result.stderr
