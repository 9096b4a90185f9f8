"""The dry-run against a real Postgres: what it observes, and every way it can go wrong."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.errors import BadInput
from pgfence.model import Report, StatementReport, VerdictKind
from pgfence.pg.locks import LockMode
from pgfence.sources import earlier_migrations, load_migrations
from pgfence.sources.sql import read_sql_file

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int);
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
INSERT INTO accounts SELECT g, 'user' || g, g FROM generate_series(1, 500) g;
INSERT INTO orders SELECT g, 1 + g % 500 FROM generate_series(1, 500) g;
"""


def run(
    server, tmp_path: Path, sql: str, database: str, schema: str | None = SCHEMA, **options
) -> Report:
    migration = tmp_path / "0001_migration.sql"
    migration.write_text(sql)
    schema_file = None
    if schema is not None:
        schema_file = tmp_path / "schema.sql"
        schema_file.write_text(schema)
    opts = DryRunOptions(
        schema_file=str(schema_file) if schema_file else None, database=database, **options
    )
    return dry_run(server, [read_sql_file(str(migration))], opts)


def modes(s: StatementReport, relation: str) -> set[str]:
    assert s.observation is not None
    return {
        lock.mode.pg_name
        for lock in s.observation.locks
        if lock.relation == relation and lock.acquired
    }


def test_observed_locks_rewrite_and_blocking_next_to_the_prediction(pg, tmp_path, database_name):
    report = run(
        pg,
        tmp_path,
        "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        database_name,
    )
    [s] = report.statements
    assert report.server is not None and report.server.backend == "embedded"
    assert "AccessExclusiveLock" in modes(s, "public.accounts")
    assert s.observation.rewritten and "public.accounts" in s.observation.rewritten
    assert (s.observation.blocks_reads, s.observation.blocks_writes) == (True, True)
    assert s.verdict.kind is VerdictKind.CONFIRMED
    assert [f.rule for f in s.findings] == [
        "add-column-rewrite",
        "missing-lock-timeout",
        "missing-statement-timeout",
    ]


def test_explicit_transaction_keeps_locks_and_reports_how_long_they_were_held(
    pg, tmp_path, database_name
):
    sql = "BEGIN;\nALTER TABLE accounts ADD COLUMN note text;\nSELECT pg_sleep(0.3);\nCOMMIT;\n"
    report = run(pg, tmp_path, sql, database_name)
    alter, sleep = report.statements[1], report.statements[2]
    assert alter.observation.held_ms >= 300
    assert sleep.observation.held_ms < alter.observation.held_ms
    # Still held during the sleep, but acquired by the ALTER: not the sleep's own lock.
    assert sleep.observation.held_before.on("public.accounts")
    assert not any(lock.relation == "public.accounts" for lock in sleep.observation.locks)
    assert sleep.observation.blocks_reads is True  # the ALTER's lock still blocks readers
    assert sleep.verdict.kind is VerdictKind.CONFIRMED


def test_a_failing_statement_is_reported_with_its_line_and_the_rest_is_not_run(
    pg, tmp_path, database_name
):
    sql = "ALTER TABLE accounts ADD COLUMN a int;\nSELECT id,\n  no_such_column FROM accounts;\nALTER TABLE accounts ADD COLUMN b int;\n"
    report = run(pg, tmp_path, sql, database_name)
    first, failing, after = report.statements
    assert first.observation.error is None
    assert failing.observation.error.sqlstate == "42703"
    where = failing.observation.error.location
    assert (where.line, where.column) == (3, 3)  # Postgres points at no_such_column
    assert [f.rule for f in failing.findings] == ["statement-failed"]
    assert after.observation.ran is False and "failed" in after.observation.not_run_reason
    assert after.verdict.kind is VerdictKind.NOT_RUN
    assert report.failed


def test_a_statement_that_runs_too_long_is_cancelled(pg, tmp_path, database_name):
    started = time.monotonic()
    report = run(pg, tmp_path, "SELECT pg_sleep(30);\n", database_name, statement_timeout_s=0.5)
    assert time.monotonic() - started < 10
    [s] = report.statements
    assert s.observation.error.sqlstate == "57014"
    assert "--statement-timeout" in s.observation.error.message
    assert [f.rule for f in s.findings] == ["statement-timeout"]


def test_a_concurrent_index_build_is_sampled_and_seen_waiting(pg, tmp_path, database_name):
    report = run(
        pg, tmp_path, "CREATE INDEX CONCURRENTLY accounts_n_idx ON accounts (n);\n", database_name
    )
    [s] = report.statements
    assert s.observation.sampled
    assert modes(s, "public.accounts") == {"ShareUpdateExclusiveLock"}
    # It waited out the older transaction pgfence held open: a note, not a finding.
    assert s.observation.waited_for_pgfence and not s.observation.waited_for_lock
    assert (s.observation.blocks_reads, s.observation.blocks_writes) == (False, False)
    assert s.verdict.kind is VerdictKind.CONFIRMED
    assert not [f for f in s.findings if f.rule == "waited-for-lock"]


def test_an_index_lock_that_stops_readers_is_measured_with_a_real_select(
    pg, tmp_path, database_name
):
    report = run(pg, tmp_path, "REINDEX INDEX accounts_email_idx;\n", database_name)
    [s] = report.statements
    assert modes(s, "public.accounts") == {"ShareLock"}  # the table lock lets readers in …
    assert s.observation.blocks_reads is True  # … but the planner waits for the index
    assert s.observation.select_blocked == ("public.accounts",)
    assert s.verdict.kind is VerdictKind.CONFIRMED


def test_what_the_static_analysis_cannot_see_is_caught_as_under_predicted(
    pg, tmp_path, database_name
):
    sql = "DO $$ BEGIN EXECUTE 'ALTER TABLE accounts ADD COLUMN x int'; END $$;\n"
    report = run(pg, tmp_path, sql, database_name)
    [s] = report.statements
    assert not s.prediction.analysable
    assert s.verdict.kind is VerdictKind.UNDER_PREDICTED
    assert any("public.accounts" in reason for reason in s.verdict.reasons)
    assert report.under_predicted and report.failed


def test_concurrently_inside_begin_is_refused_by_postgres_and_flagged_before(
    pg, tmp_path, database_name
):
    sql = "BEGIN;\nCREATE INDEX CONCURRENTLY accounts_n_idx ON accounts (n);\nCOMMIT;\n"
    report = run(pg, tmp_path, sql, database_name)
    build = report.statements[1]
    assert build.observation.error.sqlstate == "25001"
    assert {f.rule for f in build.findings} == {
        "concurrently-in-transaction",
        "concurrently-without-if-exists",
        "statement-failed",
    }


def test_replay_before_applies_the_earlier_migrations_unobserved(pg, tmp_path, database_name):
    (tmp_path / "0001_accounts.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
    )
    (tmp_path / "0002_orders.sql").write_text(
        "CREATE TABLE orders (id bigint, account_id bigint);\n"
    )
    (tmp_path / "0003_fk.sql").write_text(
        "ALTER TABLE orders ADD CONSTRAINT orders_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n"
    )
    tested = load_migrations([str(tmp_path / "0003_fk.sql")])
    before = earlier_migrations(tested)
    assert [Path(m.path).name for m in before] == ["0001_accounts.sql", "0002_orders.sql"]
    report = dry_run(pg, tested, DryRunOptions(replay_before=before, database=database_name))
    [s] = report.statements
    assert s.observation.error is None
    assert modes(s, "public.accounts") >= {"ShareRowExclusiveLock"}


def test_isolate_runs_each_file_on_its_own_copy_of_the_schema(pg, tmp_path):
    (tmp_path / "a.sql").write_text("CREATE TABLE only_in_a (id int);\n")
    (tmp_path / "b.sql").write_text("ALTER TABLE only_in_a ADD COLUMN x int;\n")
    migrations = load_migrations([str(tmp_path / "a.sql"), str(tmp_path / "b.sql")])
    together = dry_run(pg, migrations, DryRunOptions(database="pgfence_test_together"))
    assert together.statements[1].observation.error is None
    isolated = dry_run(pg, migrations, DryRunOptions(isolate=True))
    assert isolated.statements[1].observation.error.sqlstate == "42P01"  # no such table


# ---- the starting schema -------------------------------------------------------------------

DUMP = r"""--
-- PostgreSQL database dump
--
\restrict AbCdEf123
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.accounts (id bigint NOT NULL, email text);
ALTER TABLE public.accounts OWNER TO app_owner;
COPY public.accounts (id, email) FROM stdin;
1	a@example.com
2	b@example.com
\.
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
GRANT SELECT ON TABLE public.accounts TO reporting;
\unrestrict AbCdEf123
"""


def test_a_real_dump_replays_with_missing_roles_created(pg, tmp_path, database_name):
    report = run(
        pg, tmp_path, "ALTER TABLE accounts ADD COLUMN n int;\n", database_name, schema=DUMP
    )
    assert report.statements[0].observation.error is None
    with psycopg.connect(pg.dsn(database_name)) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (2,)
        roles = {
            r
            for (r,) in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN ('app_owner', 'reporting')"
            )
        }
        assert roles == {"app_owner", "reporting"}


def test_a_missing_extension_stops_the_replay_with_its_name(pg, tmp_path, database_name):
    schema = "CREATE TABLE t (id int);\nCREATE EXTENSION IF NOT EXISTS postgis_of_mars;\nCREATE TABLE u (id int);\n"
    with pytest.raises(BadInput) as info:
        run(pg, tmp_path, "SELECT 1;\n", database_name, schema=schema)
    message = str(info.value)
    assert "postgis_of_mars" in message and "--skip-missing-extensions" in message
    assert message.startswith(f"{tmp_path / 'schema.sql'}:2: ")


def test_missing_extensions_can_be_skipped(pg, tmp_path, database_name):
    schema = "CREATE EXTENSION postgis_of_mars;\nCREATE TABLE t (id int, shape geometry_of_mars);\nCREATE TABLE u (id int);\n"
    report = run(
        pg,
        tmp_path,
        "ALTER TABLE u ADD COLUMN n int;\n",
        database_name,
        schema=schema,
        skip_missing_extensions=True,
    )
    assert report.statements[0].observation.error is None


def test_a_schema_that_does_not_replay_names_its_line(pg, tmp_path, database_name):
    schema = "CREATE TABLE t (id int);\nALTER TABLE nowhere ADD COLUMN x int;\n"
    with pytest.raises(BadInput, match=r"schema\.sql:2: the schema does not replay"):
        run(pg, tmp_path, "SELECT 1;\n", database_name, schema=schema)


def test_a_schema_that_does_not_parse_names_its_line(pg, tmp_path, database_name):
    with pytest.raises(BadInput, match=r"schema\.sql:2: does not parse"):
        run(pg, tmp_path, "SELECT 1;\n", database_name, schema="SELECT 1;\nCREATE TABEL t ();\n")


def test_the_session_timezone_decides_the_timestamptz_rewrite(pg, tmp_path, database_name):
    schema = "CREATE TABLE t (id int, at timestamp);\nINSERT INTO t SELECT g, now() FROM generate_series(1, 100) g;\n"
    report = run(
        pg,
        tmp_path,
        "ALTER TABLE t ALTER COLUMN at TYPE timestamptz;\n",
        database_name,
        schema=schema,
    )
    [s] = report.statements
    assert not s.observation.rewritten  # our servers run with TimeZone = UTC
    assert not s.prediction.rewrite
    assert s.verdict.kind is VerdictKind.CONFIRMED


def test_lock_modes_by_name():
    assert LockMode.from_pg_name("ShareLock") is LockMode.SHARE


def test_roles_that_already_exist_are_not_an_error(pg, tmp_path, database_name):
    schema = "CREATE ROLE app_reader;\nCREATE TABLE t (id int);\nGRANT SELECT ON t TO app_reader;\n"
    first = run(pg, tmp_path, "SELECT 1;\n", database_name, schema=schema)
    again = run(pg, tmp_path, "SELECT 1;\n", database_name + "_again", schema=schema)
    assert first.statements[0].observation.error is None
    assert again.statements[0].observation.error is None


def test_the_transaction_a_migration_tool_wraps_around_a_file_is_kept(pg, tmp_path, database_name):
    # dbmate wraps the up section of each file in one transaction.
    (tmp_path / "20240101000000_add.sql").write_text(
        "-- migrate:up\nALTER TABLE accounts ADD COLUMN note text;\nSELECT pg_sleep(0.2);\n"
        "-- migrate:down\nALTER TABLE accounts DROP COLUMN note;\n"
    )
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    migrations = load_migrations([str(tmp_path / "20240101000000_add.sql")], fmt="dbmate")
    report = dry_run(pg, migrations, DryRunOptions(schema_file=str(schema), database=database_name))
    alter, sleep = report.statements
    assert alter.statement.transaction.scope.value == "runner"
    assert alter.observation.held_ms >= 200  # held until the tool's COMMIT, after the sleep
    assert sleep.observation.held_before.on("public.accounts")
    assert [s.verdict.kind for s in report.statements] == [VerdictKind.CONFIRMED] * 2


def test_schema_from_dumps_a_live_server_read_only(pg, tmp_path, database_name):
    import psycopg

    from tests.support import database_with

    source = database_name + "_source"
    database_with(
        pg,
        source,
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text); CREATE INDEX ON accounts (email);",
        "INSERT INTO accounts SELECT g, 'x' FROM generate_series(1, 10) g",
    )
    migration = tmp_path / "m.sql"
    migration.write_text("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n")
    report = dry_run(
        pg,
        [read_sql_file(str(migration))],
        DryRunOptions(schema_from=pg.dsn(source), database=database_name),
    )
    [s] = report.statements
    assert s.observation.error is None and s.verdict.kind is VerdictKind.CONFIRMED
    with psycopg.connect(pg.dsn(database_name)) as copy:
        # --schema-only: the structure came over, the rows did not.
        assert copy.execute("SELECT count(*) FROM accounts").fetchone() == (0,)


def test_schema_from_an_unreachable_server_is_a_server_error_without_the_password(
    pg, tmp_path, database_name
):
    from pgfence.errors import ServerError

    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    with pytest.raises(ServerError) as info:
        dry_run(
            pg,
            [read_sql_file(str(migration))],
            DryRunOptions(
                schema_from="postgresql://app:sekrit@127.0.0.1:1/app", database=database_name
            ),
        )
    assert "sekrit" not in str(info.value) and "--schema-from: cannot reach" in str(info.value)


def test_an_index_rebuilt_earlier_in_the_transaction_is_not_rewritten_again(
    pg, tmp_path, database_name
):
    """ALTER COLUMN TYPE rebuilds a partial index under a new OID; later statements of the
    same transaction still hold the old OID's lock, and must not count it as rewritten."""
    schema = (
        "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(20), n int);\n"
        "CREATE INDEX notes_body_idx ON notes (body) WHERE n > 0;\n"
        "INSERT INTO notes SELECT g, 'b' || g, g FROM generate_series(1, 200) g;\n"
    )
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nALTER TABLE notes ALTER COLUMN body TYPE text;\n"
        "UPDATE notes SET n = n + 1 WHERE id = 1;\nCOMMIT;\n",
        database_name,
        schema=schema,
    )
    alter, update = report.statements[1], report.statements[2]
    assert alter.prediction.rewrites == ("public.notes_body_idx",)  # rebuilt, not the table
    assert alter.observation.rewritten == ("public.notes_body_idx",)
    assert update.observation.rewritten == ()
    assert [s.verdict.kind for s in (alter, update)] == [VerdictKind.CONFIRMED] * 2


@pytest.mark.parametrize("failure", ["missing", "timeout"])
def test_a_pg_dump_that_cannot_run_is_one_line_and_leaves_no_temporary_file(
    pg, tmp_path, monkeypatch, failure
):
    import subprocess
    import tempfile

    from pgfence.dryrun import replay
    from pgfence.errors import ServerError

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(replay, "pick_pg_dump", lambda *_: str(tmp_path / "no-pg_dump"))
    if failure == "timeout":

        def too_slow(args, **kwargs):
            raise subprocess.TimeoutExpired(args, kwargs["timeout"])

        monkeypatch.setattr(subprocess, "run", too_slow)
    with pytest.raises(ServerError, match="pg_dump of --schema-from") as info:
        replay.dump_schema(pg.dsn(), [])
    assert len(str(info.value).splitlines()) == 1
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("plpgsql", [True, False], ids=["one-DO-block", "without-PL/pgSQL"])
def test_what_a_reader_and_a_writer_would_get_is_tried_with_or_without_plpgsql(
    pg, tmp_path, database_name, plpgsql
):
    """One DO block asks both questions; a database without PL/pgSQL is asked one by one."""
    report = run(
        pg,
        tmp_path,
        "CREATE INDEX accounts_n_idx ON accounts (n);\n"
        "ALTER TABLE accounts ADD COLUMN note text;\n"
        "COMMENT ON TABLE accounts IS 'people';\n",
        database_name,
        schema=SCHEMA + ("" if plpgsql else "DROP EXTENSION plpgsql;\n"),
    )
    blocking = [
        (s.observation.blocks_reads, s.observation.blocks_writes)
        for s in report.statements
        if s.observation is not None
    ]
    assert blocking == [(False, True), (True, True), (False, False)]


def test_a_relation_renamed_earlier_in_the_transaction_is_reported_by_its_new_name(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        "BEGIN;\n"
        "ALTER TABLE accounts RENAME TO users;\n"
        "ALTER TABLE users ALTER COLUMN n TYPE bigint;\n"
        "COMMIT;\n",
        database_name,
    )
    retype = report.statements[2].observation
    assert retype is not None and retype.error is None
    assert "public.users" in retype.rewritten
    assert "public.accounts" not in retype.rewritten


@pytest.mark.parametrize(
    "deallocate",
    ["DEALLOCATE ALL;\n", "DO $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$;\n"],
    ids=["top-level", "in-a-do-block"],
)
def test_the_migrations_deallocate_all_leaves_the_prepared_change_check_working(
    pg, tmp_path, database_name, deallocate
):
    """pgfence's prepared change check is dropped with the migration's own statements:
    it is prepared again, not run by a name the server no longer knows (which would have
    aborted the migration's transaction), also when a DO block runs it."""
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nALTER TABLE accounts ADD COLUMN a int;\n"
        + deallocate
        + "ALTER TABLE accounts ALTER COLUMN n TYPE bigint;\nCOMMIT;\n",
        database_name,
    )
    retype = report.statements[3].observation
    assert retype is not None and retype.error is None
    assert {"public.accounts", "public.accounts_email_idx"} <= set(retype.rewritten)


DEFERRED = """
CREATE TABLE parents (id int PRIMARY KEY);
CREATE TABLE children (parent_id int REFERENCES parents DEFERRABLE INITIALLY DEFERRED);
"""


def test_a_deferred_constraint_failing_at_commit_fails_its_statement(pg, tmp_path, database_name):
    """The statement runs; its COMMIT raises: it failed, the rest of the file is not run."""
    report = run(
        pg,
        tmp_path,
        "INSERT INTO children VALUES (1);\nALTER TABLE children ADD COLUMN note text;\n",
        database_name,
        schema=DEFERRED,
    )
    insert, alter = report.statements
    assert insert.observation.error.sqlstate == "23503"
    assert "raised at COMMIT" in insert.observation.error.message
    assert insert.observation.error.location.line == 1
    assert insert.verdict.kind is VerdictKind.NOT_RUN
    assert not alter.observation.ran
    assert any(f.rule == "statement-failed" for f in insert.findings)
    assert report.failed


def test_a_migration_tools_commit_that_fails_is_reported_on_its_last_statement(
    pg, tmp_path, database_name
):
    (tmp_path / "20240101000000_bad.sql").write_text(
        "-- migrate:up\nINSERT INTO children VALUES (1);\nSELECT 1;\n-- migrate:down\n"
    )
    (tmp_path / "20240102000000_next.sql").write_text(
        "-- migrate:up\nALTER TABLE parents ADD COLUMN note text;\n-- migrate:down\n"
    )
    schema = tmp_path / "schema.sql"
    schema.write_text(DEFERRED)
    migrations = load_migrations([str(tmp_path)], fmt="dbmate")
    report = dry_run(pg, migrations, DryRunOptions(schema_file=str(schema), database=database_name))
    insert, select, alter = report.statements
    assert insert.observation.error is None
    assert select.observation.error.sqlstate == "23503"
    assert select.verdict.kind is VerdictKind.NOT_RUN
    assert alter.observation.error is None and alter.observation.ran


def test_rollback_to_a_savepoint_releases_its_locks_and_undoes_its_rewrites(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nSAVEPOINT s;\nALTER TABLE accounts ALTER COLUMN n TYPE bigint;\n"
        "ROLLBACK TO SAVEPOINT s;\nALTER TABLE accounts ADD COLUMN note text;\nCOMMIT;\n",
        database_name,
    )
    retype, add = report.statements[2], report.statements[4]
    assert "public.accounts" in retype.observation.rewritten
    # The rewrite was undone, and the ACCESS EXCLUSIVE released: ADD COLUMN takes it anew.
    assert add.observation.rewritten == ()
    assert "AccessExclusiveLock" in modes(add, "public.accounts")
    assert add.verdict.kind is VerdictKind.CONFIRMED


def test_commit_and_chain_keeps_the_next_statement_in_the_chained_transaction(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nALTER TABLE accounts ADD COLUMN a int;\nCOMMIT AND CHAIN;\n"
        "ALTER TABLE accounts ADD COLUMN b int;\nSELECT pg_sleep(0.2);\nCOMMIT;\n",
        database_name,
    )
    add_b = report.statements[3]
    assert "AccessExclusiveLock" in modes(add_b, "public.accounts")
    assert add_b.observation.held_ms >= 200  # held until the COMMIT, after the sleep


def test_a_lock_table_outside_a_transaction_block_fails_as_under_psql(pg, tmp_path, database_name):
    report = run(
        pg,
        tmp_path,
        "LOCK TABLE accounts IN SHARE MODE;\n",
        database_name,
    )
    [lock] = report.statements
    assert lock.observation.error.sqlstate == "25P01"  # only in transaction blocks
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nLOCK TABLE accounts IN SHARE MODE;\nCOMMIT;\n",
        database_name + "_b",
    )
    lock = report.statements[1]
    assert lock.observation.error is None and "ShareLock" in modes(lock, "public.accounts")


def test_an_index_created_then_rebuilt_in_the_transaction_is_not_rewritten_again(
    pg, tmp_path, database_name
):
    """As Alembic's add_column, create_index, alter_column(type_=String(50)), execute(UPDATE)
    run in one transaction: the UPDATE rewrites nothing."""
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nALTER TABLE accounts ADD COLUMN note text DEFAULT 'x' NOT NULL;\n"
        "CREATE INDEX accounts_note_idx ON accounts (note);\n"
        "ALTER TABLE accounts ALTER COLUMN note TYPE varchar(50);\n"
        "UPDATE accounts SET note = 'y';\nCOMMIT;\n",
        database_name,
    )
    retype, update = report.statements[3], report.statements[4]
    assert "public.accounts_note_idx" in retype.observation.rewritten
    assert update.observation.rewritten == ()
    assert update.verdict.kind is VerdictKind.CONFIRMED


def test_locks_rolled_back_to_a_savepoint_are_held_until_then_not_until_commit(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        "BEGIN;\nSAVEPOINT s;\nALTER TABLE orders ADD COLUMN note text;\n"
        "ROLLBACK TO SAVEPOINT s;\nALTER TABLE accounts ADD COLUMN note text;\n"
        "SELECT pg_sleep(0.3);\nCOMMIT;\n",
        database_name,
    )
    rolled_back, kept = report.statements[2], report.statements[4]
    assert rolled_back.observation.held_ms < 300  # released at ROLLBACK TO, before the sleep
    assert kept.observation.held_ms >= 300  # held until COMMIT, after the sleep


def test_a_setting_a_newer_pg_dump_writes_is_skipped_on_an_older_server(
    servers, tmp_path, database_name
):
    """pg_dump 17 and later begin with SET transaction_timeout = 0, which PostgreSQL 16
    and older do not know: the replay goes on without it, and says so."""
    from tests.conftest import MAJORS

    older = [m for m in MAJORS if m < 17]
    if not older:
        pytest.skip("needs a PostgreSQL older than 17")
    said: list[str] = []
    schema = tmp_path / "dump.sql"
    schema.write_text("SET transaction_timeout = 0;\nCREATE TABLE t (id int);\n")
    migration = tmp_path / "m.sql"
    migration.write_text("ALTER TABLE t ADD COLUMN note text;\n")
    report = dry_run(
        servers.get(min(older)),
        [read_sql_file(str(migration))],
        DryRunOptions(schema_file=str(schema), database=database_name),
        progress=said.append,
    )
    assert report.statements[0].observation.error is None
    assert any("transaction_timeout" in line and "skipped" in line for line in said)


def test_a_statement_that_does_not_parse_fails_on_the_server_and_stops_the_file(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        "ALTER TABLE accounts ADD COLUMN a int;\nSELECT 1 FROM accounts WHERE;\n"
        "ALTER TABLE accounts ADD COLUMN b int;\n",
        database_name,
    )
    first, broken, after = report.statements
    assert first.observation.error is None
    assert broken.observation.error.sqlstate == "42601"  # the server's syntax error
    assert not after.observation.ran
    # One finding for it: the static parse-error, not a second statement-failed.
    assert [f.rule for f in broken.findings if f.severity.name == "CRITICAL"] == ["parse-error"]


def test_an_extension_the_server_lacks_stops_the_run_with_one_line(tmp_path):
    from tests.support import pgfence

    migration = tmp_path / "migrations" / "20240101_a" / "migration.sql"
    migration.parent.mkdir(parents=True)
    migration.write_text('SELECT 1;\nCREATE EXTENSION IF NOT EXISTS "pgcrypto";\n')
    # A cache of its own: a server `pgfence servers install` put in the user's cache has
    # contrib, and would be used instead (tests/dryrun/test_servers_install.py).
    env = {**os.environ, "PGFENCE_CACHE_DIR": str(tmp_path / "cache")}
    result = pgfence(
        "dryrun", str(migration.parent.parent), "--migration-format", "prisma", env=env
    )
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"pgfence: error: {migration}:2: the migrations create extension ")
    assert "pgcrypto, which PostgreSQL 18" in line and "does not ship" in line


def test_binaries_of_the_same_major_that_ship_the_extension_are_used(tmp_path):
    import os
    import shutil
    import tempfile

    from tests.support import pgfence

    original = Path(__file__).resolve().parents[2] / ".cache" / "pg"
    if not (original / "17" / "bin" / "postgres").exists():
        pytest.skip("no PostgreSQL 17 in .cache/pg (make pg-versions)")
    # A copy of the same binaries without pgcrypto, found first; readable by the system
    # user pgfence runs servers as (pytest's own temporary folders are private to root).
    lacking = Path(tempfile.mkdtemp(prefix="pgfence-no-pgcrypto-"))
    try:
        os.chmod(lacking, 0o755)
        shutil.copytree(original / "17", lacking / "17", symlinks=True)
        for control in (lacking / "17").rglob("pgcrypto*.control"):
            control.unlink()
        migration = tmp_path / "0001.sql"
        migration.write_text("CREATE EXTENSION pgcrypto;\nSELECT gen_random_bytes(4);\n")
        env = {**os.environ, "PGFENCE_PG_DIRS": f"{lacking}{os.pathsep}{original}"}
        result = pgfence("dryrun", str(migration), "--pg", "17", "-v", "-f", "json", env=env)
        assert result.returncode == 0, result.stderr
        assert "lacks pgcrypto: running on" in result.stderr
        assert str(original / "17" / "bin") in result.stderr
    finally:
        shutil.rmtree(lacking, ignore_errors=True)
