"""--dsn: a dry-run on a server pgfence did not start must leave it exactly as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers.existing import ExistingServer
from pgfence.errors import ServerError, UsageError
from pgfence.model import VerdictKind
from pgfence.sources import load_migrations
from tests.support import database_with

pytestmark = pytest.mark.postgres

USER_SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
INSERT INTO accounts SELECT g, 'user' || g, g FROM generate_series(1, 300) g;
INSERT INTO orders SELECT g, 1 + g % 300 FROM generate_series(1, 600) g;
"""

MIGRATION = """
ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
UPDATE accounts SET n = n + 1;
DELETE FROM orders WHERE id > 100;
CREATE INDEX CONCURRENTLY accounts_n_idx ON accounts (n);
CREATE TABLE invoices (id bigint PRIMARY KEY);
INSERT INTO invoices VALUES (1), (2);
ALTER TABLE orders ADD CONSTRAINT orders_fk2 FOREIGN KEY (account_id) REFERENCES accounts (id);
"""


@pytest.fixture
def user_db(pg, database_name):
    """A database of "the user's", with a schema and rows, on a server pgfence did not start for it."""
    return database_with(pg, database_name, USER_SCHEMA)


def fingerprint(pg, dsn: str) -> tuple[str, dict[str, int]]:
    dump = subprocess.run(
        [str(Path(pg.bin_dir) / "pg_dump"), "--schema-only", "--dbname", dsn],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dump = "\n".join(
        line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))
    )
    with psycopg.connect(dsn) as conn:
        tables = [
            t
            for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        counts = {
            t: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))
            ).fetchone()[0]
            for t in tables
        }
    return dump, counts


def migrations(tmp_path: Path, *bodies: str):
    paths = []
    for i, body in enumerate(bodies, 1):
        path = tmp_path / f"{i:04d}_m.sql"
        path.write_text(body)
        paths.append(str(path))
    return load_migrations(paths)


def test_everything_is_rolled_back_and_non_transactional_statements_are_not_run(
    pg, user_db, tmp_path
):
    before = fingerprint(pg, user_db)
    with ExistingServer(user_db) as server:
        report = dry_run(server, migrations(tmp_path, MIGRATION), DryRunOptions())
    assert fingerprint(pg, user_db) == before
    by_line = {s.statement.location.line: s for s in report.statements}
    assert report.server.backend == "dsn"
    assert by_line[2].observation.rewritten  # observed on the real data …
    concurrent = by_line[5].observation
    assert not concurrent.ran and "servers it started" in concurrent.not_run_reason
    assert by_line[8].observation.error is None
    # Locks accumulate in the one transaction: the FK's lock on accounts is not new.
    assert by_line[8].verdict.kind is VerdictKind.CONFIRMED


def test_a_failure_half_way_leaves_the_server_unchanged(pg, user_db, tmp_path):
    before = fingerprint(pg, user_db)
    body = "ALTER TABLE accounts ADD COLUMN x int;\nINSERT INTO accounts VALUES (1);\nDROP TABLE orders;\n"
    with ExistingServer(user_db) as server:
        report = dry_run(server, migrations(tmp_path, body), DryRunOptions())
    assert report.statements[1].observation.error.sqlstate == "23505"
    assert not report.statements[2].observation.ran
    assert fingerprint(pg, user_db) == before


def test_an_interrupt_half_way_leaves_the_server_unchanged(pg, user_db, tmp_path):
    before = fingerprint(pg, user_db)
    files = migrations(tmp_path, "ALTER TABLE accounts ADD COLUMN x int;\n", "DROP TABLE orders;\n")

    def interrupt_on_second_file(message: str) -> None:
        if message.startswith("dry-running") and "0002" in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), ExistingServer(user_db) as server:
        dry_run(server, files, DryRunOptions(), progress=interrupt_on_second_file)
    assert fingerprint(pg, user_db) == before
    with psycopg.connect(pg.dsn()) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgfence%%'"
        ).fetchone()[0]
    assert left == 0


def test_a_lock_held_by_the_servers_traffic_gives_up_after_lock_timeout(pg, user_db, tmp_path):
    before = fingerprint(pg, user_db)
    with psycopg.connect(user_db) as traffic:
        traffic.execute("SELECT count(*) FROM accounts")  # holds ACCESS SHARE until rollback
        with ExistingServer(user_db) as server:
            body = "ALTER TABLE accounts ADD COLUMN x int;\nALTER TABLE orders ADD COLUMN y int;\n"
            report = dry_run(server, migrations(tmp_path, body), DryRunOptions(lock_timeout_s=0.3))
        traffic.rollback()
    first, second = report.statements
    assert first.observation.error.sqlstate == "55P03"
    assert first.observation.waited_for_lock
    assert [f.rule for f in first.findings] == ["lock-timeout", "missing-lock-timeout"]
    assert not second.observation.ran
    assert fingerprint(pg, user_db) == before


def test_an_unreachable_server_is_one_clear_error():
    with pytest.raises(ServerError, match=r"cannot reach .*127\.0\.0\.1"):
        ExistingServer(
            "host=127.0.0.1 port=1 dbname=app user=app password=hunter2", connect_timeout=2
        ).start()


def test_the_password_never_appears_in_errors():
    with pytest.raises(ServerError) as info:
        ExistingServer("postgresql://app:hunter2@127.0.0.1:1/app", connect_timeout=2).start()
    assert "hunter2" not in str(info.value)


def test_a_malformed_dsn_is_a_usage_error():
    with pytest.raises(UsageError):
        ExistingServer("host=x port=5432 this is not a dsn")


@pytest.mark.parametrize(
    "args",
    [
        ["stats", "--from"],
        ["preflight", "--dsn"],
        ["dryrun", "scenarios/demo/migration.sql", "--dsn"],
        ["dryrun", "scenarios/demo/migration.sql", "--schema-from"],
        ["dryrun", "scenarios/demo/migration.sql", "--seed", "--stats-from"],
    ],
    ids=["stats", "preflight", "dryrun-dsn", "schema-from", "stats-from"],
)
def test_a_malformed_connection_string_is_one_line_without_its_password(args):
    """libpq quotes a malformed URI whole, password included: pgfence leaves it out."""
    result = subprocess.run(
        [sys.executable, "-m", "pgfence.cli", *args, "postgresql://bob:s3cret@[::1/x"],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert result.returncode == 2
    assert "s3cret" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("pgfence: error: --") and "not a valid connection string" in line


def test_a_lock_table_outside_a_transaction_block_is_not_run_there(pg, user_db, tmp_path):
    """psql would run it on its own and Postgres would refuse it; the --dsn run is one
    transaction, where it would pass: it is not run, and says why."""
    body = "LOCK TABLE accounts IN SHARE MODE;\nBEGIN;\nLOCK TABLE orders IN SHARE MODE;\nCOMMIT;\n"
    with ExistingServer(user_db) as server:
        report = dry_run(server, migrations(tmp_path, body), DryRunOptions())
    bare, inside = report.statements[0].observation, report.statements[2].observation
    assert not bare.ran and "refuses it" in bare.not_run_reason
    assert inside.ran and inside.error is None


def test_a_dry_run_on_an_existing_server_warns_that_its_locks_are_real(pg, user_db, tmp_path):
    """Rolled back or not, every statement's locks stop the server's traffic while it runs."""
    from pgfence.dryrun.servers.existing import ROLLED_BACK_WARNING

    [migration] = migrations(tmp_path, "ALTER TABLE accounts ADD COLUMN note text;\n")

    def dryrun(*args):
        return subprocess.run(
            [sys.executable, "-m", "pgfence.cli", "dryrun", "--dsn", user_db, *args,
             migration.path],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    table = dryrun()
    assert table.returncode == 0, table.stderr
    assert "warning: on an existing server everything is rolled back" in table.stdout
    assert table.stderr == ""
    as_json = dryrun("--format", "json")
    assert as_json.stderr.splitlines() == [f"pgfence: warning: {ROLLED_BACK_WARNING}"]
    assert json.loads(as_json.stdout)["server"]["backend"] == "dsn"
