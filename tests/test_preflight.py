"""`pgfence preflight` against a live server with other sessions in it."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgfence.analysis.statements import parse_duration_ms
from pgfence.errors import ServerError, UsageError
from pgfence.model import LockMode, PreflightReport
from pgfence.preflight import PreflightOptions, preflight
from pgfence.sources import load_migrations
from tests.support import PGFENCE, database_with

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
INSERT INTO accounts SELECT g, 'u' || g FROM generate_series(1, 100) g;
"""
QUICK = PreflightOptions(sample_s=0)


@pytest.fixture
def live(pg, database_name):
    return database_with(pg, database_name, SCHEMA, superuser=True)


def migration(tmp_path: Path, body: str):
    path = tmp_path / "0042_change.sql"
    path.write_text(body)
    return load_migrations([str(path)])


def test_a_session_idle_in_transaction_on_the_table_is_found_and_fails_the_check(live, tmp_path):
    migrations = migration(tmp_path, "ALTER TABLE accounts ADD COLUMN plan text;\n")
    with psycopg.connect(live, application_name="billing-worker") as other:
        other.execute("SELECT count(*) FROM accounts")  # holds ACCESS SHARE, idle in transaction
        pid = other.info.backend_pid
        report = preflight(live, migrations, QUICK)
    [blocker] = report.blockers
    assert blocker.session.pid == pid
    assert blocker.session.application == "billing-worker"
    assert blocker.session.state == "idle in transaction"
    assert blocker.session.query == "SELECT count(*) FROM accounts"
    assert (blocker.relation, blocker.mode, blocker.needed) == (
        "public.accounts",
        LockMode.ACCESS_SHARE,
        LockMode.ACCESS_EXCLUSIVE,
    )
    assert blocker.granted and blocker.lasting
    assert report.failed
    assert f"pid {pid}" in report.reasons[0]


def test_nobody_in_the_way_is_a_good_time(live, tmp_path):
    migrations = migration(
        tmp_path, "SET lock_timeout = '3s';\nALTER TABLE accounts ADD COLUMN plan text;\n"
    )
    with psycopg.connect(live, autocommit=True) as other:
        other.execute("SELECT count(*) FROM orders")  # autocommit: holds nothing afterwards
        report = preflight(live, migrations, QUICK)
    assert report.blockers == ()
    assert not report.failed
    assert (report.lock_timeout_ms, report.lock_timeout_source) == (
        3000,
        "the migration (line 1)",
    )
    assert [(n.relation, n.mode) for n in report.needs] == [
        ("public.accounts", LockMode.ACCESS_EXCLUSIVE)
    ]


def test_a_lock_timeout_set_with_set_config_is_the_migrations(live, tmp_path):
    migrations = migration(
        tmp_path,
        "SELECT set_config('lock_timeout', '4s', false);\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n",
    )
    report = preflight(live, migrations, QUICK)
    assert (report.lock_timeout_ms, report.lock_timeout_source) == (4000, "the migration (line 1)")


def test_a_young_running_transaction_is_reported_but_does_not_fail(live, tmp_path):
    migrations = migration(tmp_path, "ALTER TABLE orders ADD COLUMN note text;\n")
    done = threading.Event()

    def busy() -> None:
        with psycopg.connect(live) as other:
            other.execute("SELECT count(*) FROM orders")
            other.execute("SELECT pg_sleep(3)")
        done.set()

    worker = threading.Thread(target=busy)
    worker.start()
    time.sleep(0.5)
    try:
        report = preflight(live, migrations, PreflightOptions(lock_timeout_ms=10_000, sample_s=0))
    finally:
        worker.join()
    [blocker] = report.blockers
    assert blocker.session.state == "active" and not blocker.lasting
    assert "probably brief" in blocker.why
    assert not report.failed


def test_a_concurrent_index_build_fails_behind_an_old_snapshot_on_another_table(live, tmp_path):
    migrations = migration(tmp_path, "CREATE INDEX CONCURRENTLY ON orders (account_id);\n")
    with psycopg.connect(live, autocommit=True) as other:
        other.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        other.execute("SELECT count(*) FROM accounts")  # another table, but a snapshot
        time.sleep(1.1)
        report = preflight(
            live,
            migrations,
            PreflightOptions(long_transaction_s=1, lock_timeout_ms=500, sample_s=0),
        )
    assert report.blockers == ()  # nobody holds a lock on orders …
    assert report.failed  # … but the build waits for every older snapshot
    assert "builds concurrently" in report.reasons[0]
    assert "idle in transaction, held until the application ends it" in report.reasons[0]
    assert report.long_transactions[0].state == "idle in transaction"


def test_a_concurrent_build_waits_for_writers_and_snapshots_not_for_readers(live, tmp_path):
    """As measured: a READ COMMITTED reader idle in transaction holds no snapshot and no
    lock the build waits for; a writer idle in transaction on the table holds one."""
    migrations = migration(tmp_path, "CREATE INDEX CONCURRENTLY ON orders (account_id);\n")
    with psycopg.connect(live) as reader:
        reader.execute("SELECT count(*) FROM orders")  # idle in transaction, READ COMMITTED
        report = preflight(live, migrations, QUICK)
    assert not report.failed, report.reasons
    with psycopg.connect(live) as writer:
        writer.execute("INSERT INTO orders VALUES (0, 1)")  # ROW EXCLUSIVE, idle in transaction
        pid = writer.info.backend_pid
        report = preflight(live, migrations, QUICK)
    [blocker] = report.blockers
    assert (blocker.session.pid, blocker.mode) == (pid, LockMode.ROW_EXCLUSIVE)
    assert blocker.lasting and report.failed


def test_preflight_locks_no_user_table_even_behind_an_exclusive_lock(live, tmp_path):
    """It reads only catalogs and statistics views: a session holding ACCESS EXCLUSIVE on the
    table does not stop it, and while it runs it holds nothing but ACCESS SHARE on catalogs."""
    migrations = migration(tmp_path, "ALTER TABLE orders ADD COLUMN note text;\n")
    seen: set[tuple[int, str]] = set()
    running = threading.Event()

    def watch() -> None:
        with psycopg.connect(live, autocommit=True) as watcher:
            while running.is_set():
                seen.update(
                    watcher.execute(
                        "SELECT l.relation::bigint, l.mode FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE a.application_name = 'pgfence preflight' "
                        "AND l.locktype = 'relation'"
                    ).fetchall()
                )

    with psycopg.connect(live) as other:
        other.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        running.set()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            report = preflight(live, migrations, PreflightOptions(sample_s=0.5))
        finally:
            running.clear()
            watcher.join()
    assert [b.mode for b in report.blockers] == [LockMode.ACCESS_EXCLUSIVE]
    assert seen, "the watcher saw the preflight session's catalog locks"
    assert {mode for _, mode in seen} == {"AccessShareLock"}
    assert all(oid < 16384 for oid, _ in seen)  # system catalogs only


@pytest.fixture
def roles(live, database_name):
    """A role that runs preflight (no superuser, no pg_read_all_stats) and another whose
    application uses the tables; dropped afterwards (roles belong to the whole server)."""
    checker, worker = f"{database_name}_checker", f"{database_name}_worker"
    with psycopg.connect(live, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {checker} LOGIN")
        admin.execute(f"CREATE ROLE {worker} LOGIN")
        admin.execute(f"GRANT SELECT ON accounts TO {worker}")
    yield make_conninfo(live, user=checker), make_conninfo(live, user=worker)
    with psycopg.connect(live, autocommit=True) as admin:
        admin.execute(f"REVOKE ALL ON accounts FROM {worker}")
        admin.execute(f"DROP ROLE {checker}")
        admin.execute(f"DROP ROLE {worker}")


def test_another_roles_session_idle_in_transaction_fails_the_check_though_hidden(roles, tmp_path):
    """pg_stat_activity hides another role's state, query and transaction start from a
    role without pg_read_all_stats: its lock is in the way all the same (pg_locks shows it),
    and what it does cannot be told, so it is taken as lasting and the report says why."""
    checker, worker = roles
    migrations = migration(tmp_path, "ALTER TABLE accounts ADD COLUMN plan text;\n")
    with psycopg.connect(worker, application_name="billing-worker") as other:
        other.execute("SELECT count(*) FROM accounts")  # idle in transaction, ACCESS SHARE
        pid = other.info.backend_pid
        report = preflight(checker, migrations, PreflightOptions(lock_timeout_ms=2000, sample_s=0))
    [blocker] = report.blockers
    assert (blocker.session.pid, blocker.relation) == (pid, "public.accounts")
    assert blocker.session.user is not None and blocker.session.user.endswith("_worker")
    assert blocker.session.query == ""  # not "<insufficient privilege>"
    assert blocker.session.hidden and blocker.session.state is None
    assert blocker.lasting
    assert "pg_read_all_stats" in blocker.why
    assert report.failed
    assert any("pg_read_all_stats" in note for note in report.notes)


def test_with_pg_read_all_stats_another_roles_session_is_seen_in_full(live, roles, tmp_path):
    checker, worker = roles
    with psycopg.connect(live, autocommit=True) as admin:
        admin.execute(f"GRANT pg_read_all_stats TO {conninfo_to_dict(checker)['user']}")
    migrations = migration(tmp_path, "ALTER TABLE accounts ADD COLUMN plan text;\n")
    with psycopg.connect(worker) as other:
        other.execute("SELECT count(*) FROM accounts")
        report = preflight(checker, migrations, PreflightOptions(lock_timeout_ms=2000, sample_s=0))
    [blocker] = report.blockers
    assert blocker.session.state == "idle in transaction"
    assert blocker.session.query == "SELECT count(*) FROM accounts"
    assert blocker.lasting and "pg_read_all_stats" not in blocker.why
    assert not any("pg_read_all_stats" in note for note in report.notes)


# Everything whose catalog entries a careless query reads through a function that opens the
# relation: partitions (pg_get_expr of the bound), CHECKs (pg_get_constraintdef), expression
# and partial indexes (pg_get_indexdef), defaults, generated columns, foreign keys, domains.
RICH_SCHEMA = """
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE accounts (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    email text CHECK (email <> ''), plan text DEFAULT 'free', seats positive,
    seats_twice int GENERATED ALWAYS AS (seats * 2) STORED);
ALTER TABLE accounts ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID;
CREATE INDEX accounts_lower_email ON accounts (lower(email)) WHERE plan <> 'free';
CREATE TABLE orders (id bigserial, account_id bigint REFERENCES accounts (id),
    placed date NOT NULL DEFAULT now(), total numeric CHECK (total >= 0),
    PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_rest PARTITION OF orders DEFAULT;
CREATE INDEX orders_account ON orders (account_id);
CREATE VIEW paying AS SELECT id FROM accounts WHERE plan <> 'free';
CREATE MATERIALIZED VIEW plans AS SELECT plan, count(*) FROM accounts GROUP BY plan;
"""


ORDERS_AND_PARTITIONS = ("orders", "orders_2024", "orders_rest")


def _lock_everything(holder: psycopg.Connection) -> None:
    """ACCESS EXCLUSIVE on every user relation, as a migration queued for it would get."""
    relations = holder.execute(
        "SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'i') ORDER BY c.relkind"
    ).fetchall()
    for name, relkind in relations:
        if relkind == "m":
            holder.execute(f"REFRESH MATERIALIZED VIEW {name}")
        elif relkind == "i":
            holder.execute(f"REINDEX INDEX {name}")
        else:
            holder.execute(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")


def test_preflight_finishes_while_every_user_relation_is_locked_exclusively(
    pg, database_name, tmp_path
):
    """The catalog is read without opening a user relation: a session holding ACCESS
    EXCLUSIVE on all of them (partitions, CHECKs, expression indexes…) does not make it
    wait for its lock_timeout and fail with exit 3; it is reported, exit 1."""
    live = database_with(pg, database_name, RICH_SCHEMA)
    path = tmp_path / "0042_change.sql"
    path.write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    command = [*PGFENCE, "preflight", "--dsn", live, "--sample", "0", "--format", "json"]
    with psycopg.connect(live, application_name="holder") as holder:
        _lock_everything(holder)
        started = time.monotonic()
        result = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert elapsed < 10
    data = json.loads(result.stdout)
    assert {(b["relation"], b["session"]["application"]) for b in data["blockers"]} == {
        (f"public.{table}", "holder") for table in ORDERS_AND_PARTITIONS
    }
    assert data["good_time"] is False


def test_preflight_asks_for_no_lock_on_a_user_relation(pg, database_name, tmp_path):
    """From pg_locks, while it runs behind a session holding every user relation: every
    lock its backend holds or waits for is on a system catalog."""
    live = database_with(pg, database_name, RICH_SCHEMA)
    migrations = migration(tmp_path, "ALTER TABLE orders ADD COLUMN note text;\n")
    seen: set[tuple[int, str, bool, str | None]] = set()
    running = threading.Event()

    def watch() -> None:
        with psycopg.connect(live, autocommit=True) as watcher:
            while running.is_set():
                seen.update(
                    watcher.execute(
                        "SELECT l.relation::bigint, l.mode, l.granted, n.nspname::text "
                        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "LEFT JOIN pg_class c ON c.oid = l.relation "
                        "LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE a.application_name = 'pgfence preflight' "
                        "AND l.locktype = 'relation'"
                    ).fetchall()
                )

    with psycopg.connect(live) as holder:
        _lock_everything(holder)
        running.set()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            report: PreflightReport | ServerError = preflight(
                live, migrations, PreflightOptions(sample_s=0.5)
            )
        except ServerError as exc:  # what asking for such a lock ends in: the lock timeout
            report = exc
        finally:
            running.clear()
            watcher.join()
    assert seen, "the watcher saw the preflight session's catalog locks"
    outside = {lock for lock in seen if lock[0] >= 16384 or lock[3] not in _CATALOG_SCHEMAS}
    assert outside == set()
    assert {mode for _, mode, _, _ in seen} == {"AccessShareLock"}
    assert isinstance(report, PreflightReport), report
    assert sorted(b.relation for b in report.blockers) == [
        f"public.{table}" for table in ORDERS_AND_PARTITIONS
    ]


_CATALOG_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def test_the_command_exits_1_when_blocked_and_0_when_not(live, tmp_path):
    path = tmp_path / "0042_change.sql"
    path.write_text("ALTER TABLE accounts ADD COLUMN plan text;\n")
    command = [*PGFENCE, "preflight", "--dsn", live, "--sample", "0", str(path)]
    clear = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert clear.returncode == 0, clear.stderr
    assert "a good time" in clear.stdout
    with psycopg.connect(live, application_name="report-job") as other:
        other.execute("SELECT * FROM accounts LIMIT 1")
        blocked = subprocess.run(command, capture_output=True, text=True, timeout=60)
        as_json = subprocess.run(
            [*command, "--format", "json"], capture_output=True, text=True, timeout=60
        )
    assert blocked.returncode == 1
    assert "NOT A GOOD TIME" in blocked.stdout and "report-job" in blocked.stdout
    data = json.loads(as_json.stdout)
    assert data["command"] == "preflight" and data["good_time"] is False
    assert data["blockers"][0]["session"]["application"] == "report-job"
    assert data["blockers"][0]["lasting"] is True


def test_the_configuration_selects_migrations_and_no_path_means_long_transactions_only(
    live, tmp_path
):
    (tmp_path / "migrations" / "legacy").mkdir(parents=True)
    (tmp_path / "migrations" / "0042_change.sql").write_text("ALTER TABLE orders ADD c int;\n")
    (tmp_path / "migrations" / "legacy" / "0001_old.sql").write_text(
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
    )
    (tmp_path / "pgfence.toml").write_text(
        'paths = ["migrations"]\nexclude = ["migrations/legacy/**"]\n'
    )
    base = [*PGFENCE, "preflight", "--dsn", live, "--sample", "0", "--format", "json"]
    with psycopg.connect(live, application_name="report-job") as other:
        other.execute("SELECT * FROM accounts LIMIT 1")  # in the way of the excluded file only
        result = subprocess.run(
            [*base, "migrations"], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
        bare = subprocess.run(base, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {n["relation"] for n in data["needs"]} == {"public.orders"}
    # Without PATH the configured `paths` are not taken: they hold every migration ever.
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout)["needs"] == []
    assert any("only long transactions" in note for note in json.loads(bare.stdout)["notes"])


def test_an_unreachable_server_is_exit_3_without_the_password():
    result = subprocess.run(
        [*PGFENCE, "preflight", "--dsn", "postgresql://app:hunter2@127.0.0.1:1/app"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("text", "ms"),
    [("2s", 2000), ("500", 500), ("500ms", 500), ("1min", 60_000), ("0", 0), ("1.5 s", 1500)],
)
def test_postgres_durations(text, ms):
    assert parse_duration_ms(text) == ms


def test_the_api_preflight_is_the_command_s(live, tmp_path):
    """pgfence.api.preflight(): the same report as the command, its options as durations."""
    from pgfence import api

    path = tmp_path / "0042_change.sql"
    path.write_text("ALTER TABLE accounts ADD COLUMN note text;\n")
    holder = psycopg.connect(live, autocommit=False)
    try:
        holder.execute("SELECT count(*) FROM accounts")  # holds ACCESS SHARE, open
        report = api.preflight([str(path)], dsn=live, sample="0s", long_transaction="1h")
        assert isinstance(report, PreflightReport)
        assert any(b.session.pid == holder.info.backend_pid for b in report.blockers)
        with pytest.raises(UsageError, match="preflight needs --dsn"):
            api.preflight([str(path)], dsn="")
        with pytest.raises(UsageError, match="--sample"):
            api.preflight([str(path)], dsn=live, sample="soon")
    finally:
        holder.close()
