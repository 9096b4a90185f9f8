"""Production sizes on real servers: stats read read-only, seeded runs, durations that grow."""

from __future__ import annotations

import json
import subprocess

import psycopg
import pytest

from pgfence.dryrun import stats
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.seed import SeedRequest
from pgfence.errors import BadInput
from pgfence.model import LockMode, RelKind
from pgfence.sources.sql import read_sql_file
from tests.reporting.conftest import errors
from tests.support import PGFENCE, database_with

pytestmark = pytest.mark.postgres


STAGING = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    note text,
    placed_at timestamptz NOT NULL
);
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + g % 20000, repeat('n', 80), now() FROM generate_series(1, 100000) g;
INSERT INTO events SELECT g, '2024-06-01'::date + g % 300 FROM generate_series(1, 3000) g;
"""

MIGRATION = """\
CREATE INDEX orders_placed_idx ON orders (placed_at);
BEGIN;
ALTER TABLE orders ADD COLUMN flag boolean DEFAULT random() > 0.5;
SELECT pg_sleep(0.05);
COMMIT;
"""


@pytest.fixture
def staging(pg, database_name):
    """A database standing for staging: a schema and rows, analysed."""
    return database_with(pg, database_name, STAGING, "VACUUM ANALYZE")


def test_stats_are_read_from_a_server_and_sum_partitions(staging):
    recorded = stats.read_from(staging)
    orders = recorded.table("public.orders")
    assert orders.rows == 100_000
    assert orders.table_bytes > 8_000_000  # 100 000 rows of over 80 bytes
    assert orders.total_bytes > orders.table_bytes
    assert {i.name for i in orders.indexes} == {"public.orders_pkey", "public.orders_account_idx"}
    events = recorded.table("public.events")
    assert events.kind is RelKind.PARTITIONED_TABLE
    assert events.rows == 3000
    assert recorded.table("public.events_2024").partition_of == "public.events"
    assert recorded.server_version and recorded.taken_at.endswith("Z")


def test_the_stats_session_is_read_only(staging):
    with psycopg.connect(staging, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        stats.read(conn)  # what read_from runs, in the session it makes
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE t (id int)")


def test_a_stats_file_round_trips_and_a_bad_one_is_bad_input(staging, tmp_path):
    recorded = stats.read_from(staging)
    path = tmp_path / "stats.json"
    stats.save(recorded, str(path))
    assert stats.load(str(path)) == recorded
    data = json.loads(path.read_text())
    assert data["pgfence_stats"] == 1
    assert data["tables"]["public.orders"]["rows"] == 100_000
    path.write_text('{"tables": {}}')
    with pytest.raises(BadInput, match="not a stats file"):
        stats.load(str(path))
    path.write_text('{"pgfence_stats": 1, "tables": {"public.t": {"rows": -3}}}')
    with pytest.raises(BadInput, match="rows must be"):
        stats.load(str(path))


def test_durations_grow_with_size_and_are_estimated_at_production_size(
    pg, staging, tmp_path, database_name
):
    migration = tmp_path / "0001_orders.sql"
    migration.write_text(MIGRATION)
    recorded = stats.read_from(staging)
    options = DryRunOptions(
        schema_from=staging,
        database=f"{database_name}_run",
        # Half the recorded size: big enough that fixed costs do not hide the growth.
        seed=SeedRequest(scale=0.5, stats=recorded),
    )
    report = dry_run(pg, [read_sql_file(str(migration))], options)
    seeding = report.seeding
    assert seeding is not None and seeding.sizes == (1 / 16, 1 / 4, 1.0)
    orders = next(t for t in seeding.tables if t.relation == "public.orders")
    assert orders.rows == 50_000 and orders.production_rows == 100_000
    index, alter = report.statements[0], report.statements[2]
    for statement, work in ((index, "index build"), (alter, "rewrite")):
        e = statement.estimate
        assert e is not None and e.work == work and e.relation == "public.orders"
        rows = [n for n, _ in e.measured]
        times = [ms for _, ms in e.measured]
        assert rows == [3125, 12_500, 50_000]
        # 16× the rows take longer (by how much depends on the machine's load: once only
        # 1.97× on a loaded 2-core machine, so no ratio is asserted).
        assert times[-1] > times[0], e.measured
        assert e.production_rows == 100_000
        assert e.expected_ms > times[-1]
        assert e.low_ms <= e.expected_ms <= e.high_ms
    assert report.statements[3].estimate is None  # pg_sleep does not grow with a table
    holds = {(h.relation, h.mode): h for h in report.lock_holds}
    share = holds[("public.orders", LockMode.SHARE)]
    assert share.blocks_writes and not share.blocks_reads
    exclusive = holds[("public.orders", LockMode.ACCESS_EXCLUSIVE)]
    # Held from the ALTER until COMMIT, across the sleep, longer at production size.
    assert exclusive.held_ms >= 50 + alter.observation.duration_ms
    assert exclusive.production_ms > exclusive.held_ms
    assert exclusive.until is not None and exclusive.until.line == 5
    assert exclusive.summary.startswith("reads and writes to orders blocked ≈")


def test_the_nightly_command_reports_estimates_in_json(staging, tmp_path, report_validator):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_orders.sql").write_text(MIGRATION)
    result = subprocess.run(
        [*PGFENCE, "dryrun", "--schema-from", staging, "--stats-from", staging,
         "--seed-scale", "0.01", "--format", "json", str(migrations)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the migration is risky
    data = json.loads(result.stdout)
    # The published schema lists the seeded fields too.
    assert errors(report_validator, data) == []
    assert data["seeding"]["scale"] == 0.01
    filled = {t["relation"]: t for t in data["seeding"]["tables"] if t["filled"]}
    assert filled["public.orders"]["rows"] == 1000
    assert filled["public.orders"]["production_rows"] == 100_000
    estimate = data["statements"][0]["estimate"]
    assert estimate["work"] == "index build" and estimate["production_rows"] == 100_000
    assert estimate["expected_ms"] > 0 and estimate["confidence"] in ("high", "medium", "low")
    assert any(h["relation"] == "public.orders" for h in data["lock_holds"])
    table = subprocess.run(
        [*PGFENCE, "dryrun", "--schema-from", staging, "--stats-from", staging,
         "--seed-scale", "0.01", str(migrations)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Durations at production size" in table.stdout
    assert "writes to orders blocked ≈" in table.stdout
    assert "prod" in table.stdout


def test_pgfence_stats_writes_a_file_dryrun_reads(staging, tmp_path):
    out = tmp_path / "stats.json"
    result = subprocess.run(
        [*PGFENCE, "stats", "--from", staging, "-o", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "wrote the sizes of" in result.stderr
    assert stats.load(str(out)).table("public.orders").rows == 100_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stats", "x.json"], "add --seed"),
        (["--seed-scale", "0.01"], "--seed-scale is a fraction"),
        (["--seed-rows", "5", "--seed-scale", "0.1", "--stats", "x.json"], "alternatives"),
        (["--seed", "--dsn", "host=/nowhere dbname=x"], "not --dsn"),
        (["--seed-scale", "3", "--stats", "x.json"], "expected a fraction"),
        (["--seed-max-rows", "10"], "add --seed"),
        (["--seed-rows", "1000", "--seed-max-rows", "10"], "over --seed-max-rows"),
    ],
)
def test_sizing_options_that_do_not_fit_together_are_usage_errors(tmp_path, args, message):
    migration = tmp_path / "0001.sql"
    migration.write_text("SELECT 1;\n")
    result = subprocess.run(
        [*PGFENCE, "dryrun", *args, str(migration)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_stats_from_an_unreachable_server_is_exit_3(tmp_path):
    migration = tmp_path / "0001.sql"
    migration.write_text("SELECT 1;\n")
    result = subprocess.run(
        [*PGFENCE, "dryrun", "-v", "--stats-from", "postgresql://u:secret@127.0.0.1:1/x",
         "--seed", str(migration)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 3
    assert "secret" not in result.stderr
    # -v reports the server it picks: the stats are read before any is looked for.
    assert "PostgreSQL" not in result.stderr, result.stderr


def test_nothing_changed_reads_no_stats_and_starts_no_server(tmp_path):
    """A pull request that touches no migration never reaches the --stats-from server."""
    repo = tmp_path / "repo"
    (repo / "migrations").mkdir(parents=True)
    (repo / "migrations" / "0001.sql").write_text("CREATE INDEX i ON t (c);\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=repo, check=True)
    result = subprocess.run(
        [*PGFENCE, "dryrun", "-v", "--changed-since", "HEAD", "--seed",
         "--stats-from", "postgresql://u:secret@127.0.0.1:1/x", "migrations"],
        capture_output=True, text=True, cwd=repo, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no migration changed since HEAD" in result.stderr
    assert "cannot reach" not in result.stderr
    assert "PostgreSQL" not in result.stderr, result.stderr  # no server picked (-v)


def _seeded_run(pg, tmp_path, database_name, schema_sql: str, migration_sql: str):
    schema = tmp_path / "schema.sql"
    schema.write_text(schema_sql)
    migration = tmp_path / "0001_constraint.sql"
    migration.write_text(migration_sql)
    options = DryRunOptions(
        schema_file=str(schema), database=f"{database_name}_run", seed=SeedRequest(rows=100)
    )
    report = dry_run(pg, [read_sql_file(str(migration))], options)
    notes = {t.relation: t for t in report.seeding.tables}
    return report, notes


def test_a_check_the_synthetic_rows_break_is_a_note_and_the_file_runs_on(
    pg, tmp_path, database_name
):
    report, tables = _seeded_run(
        pg,
        tmp_path,
        database_name,
        "CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL);\n"
        "CREATE TABLE other (id int PRIMARY KEY);\n",
        "ALTER TABLE t ADD CONSTRAINT t_n_small CHECK (n < 10);\n"
        "ALTER TABLE t ADD COLUMN note text;\n",
    )
    rules = {f.rule for s in report.statements for f in s.findings}
    assert "statement-failed" not in rules and "check-constraint-validation" in rules
    assert [(s.observation.ran, s.observation.error) for s in report.statements] == [
        (True, None),
        (True, None),
    ]
    second = report.statements[1].observation
    assert ("public.t", LockMode.ACCESS_EXCLUSIVE) in [(k.relation, k.mode) for k in second.locks]
    assert not tables["public.t"].filled and tables["public.t"].rows == 0
    assert tables["public.t"].note.startswith(
        f"left empty: its synthetic rows made {tmp_path}/0001_constraint.sql:1 fail "
        '(check constraint "t_n_small" of relation "t" is violated by some row)'
    )
    assert tables["public.other"].filled and tables["public.other"].rows == 100
    # nothing critical: the worst is the static check-constraint-validation (high)
    assert max(f.severity for s in report.statements for f in s.findings).name == "HIGH"


def test_a_foreign_key_the_synthetic_rows_break_empties_the_referencing_table_only(
    pg, tmp_path, database_name
):
    report, tables = _seeded_run(
        pg,
        tmp_path,
        database_name,
        # accounts' ids are modelled past every orders.account_id the seeder writes
        "CREATE TABLE accounts (id bigint PRIMARY KEY CHECK (id > 1000000000000));\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL);\n",
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk\n"
        "  FOREIGN KEY (account_id) REFERENCES accounts (id);\n",
    )
    [statement] = report.statements
    assert statement.observation.error is None
    assert "statement-failed" not in {f.rule for f in statement.findings}
    assert tables["public.accounts"].rows == 100
    orders = tables["public.orders"]
    assert orders.rows == 0 and "violates foreign key constraint" in orders.note


def test_a_statement_that_fails_whatever_the_rows_stays_critical(pg, tmp_path, database_name):
    report, tables = _seeded_run(
        pg,
        tmp_path,
        database_name,
        "CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL);\n",
        "ALTER TABLE t ADD CONSTRAINT t_n_small CHECK (n < 10);\nINSERT INTO t VALUES (-1, 100);\n",
    )
    [failed] = [f for f in report.statements[1].findings if f.rule == "statement-failed"]
    assert failed.severity.name == "CRITICAL" and "t_n_small" in failed.message
    assert tables["public.t"].note.startswith("left empty")  # line 1's rows, not line 2's


def _databases_of(pg, base: str) -> set[str]:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        names = {str(row[0]) for row in conn.execute("SELECT datname FROM pg_database")}
    return {n for n in names if n == base or n.startswith(base + "_")}


@pytest.mark.parametrize("failing", ["schema", "run"])
def test_a_seeded_run_that_fails_drops_every_database_it_made(
    pg, tmp_path, database_name, monkeypatch, failing
):
    from pgfence.dryrun import execute  # where each size's run is made

    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE accounts (id int PRIMARY KEY);\n"
        + ("SELECT no_such_function();\n" if failing == "schema" else "")
    )
    migrations = []
    for n in (1, 2):
        path = tmp_path / f"000{n}.sql"
        path.write_text(f"ALTER TABLE accounts ADD COLUMN c{n} int;\n")
        migrations.append(read_sql_file(str(path)))
    if failing == "run":

        def broken(*_args, **_kwargs):
            raise RuntimeError("the run broke")

        monkeypatch.setattr(execute, "run_in_database", broken)
    options = DryRunOptions(
        schema_file=str(schema), database=database_name, isolate=True, seed=SeedRequest(rows=10)
    )
    with pytest.raises(BadInput if failing == "schema" else RuntimeError):
        dry_run(pg, migrations, options)
    assert _databases_of(pg, database_name) == set()
