"""Benchmark: how fast `pgfence dryrun` gives its answer.

Prints:
1. cold start to first result for a one-statement migration: a whole `pgfence dryrun`
   process with empty caches (initdb runs, Python compiles pgfence's modules);
2. the same, warm (the initdb'd template cluster and the bytecode are cached, as after
   `pip install`, which compiles it);
3. a 100-statement migration over a 300-table schema: the dry-run (observing every
   statement) against executing the same file with psql on the same server, each on its
   own fresh copy of the schema, measured side by side in one run; the ratio is the cost
   of observing. Next to it, the bare observation the issue prescribes, with nothing
   else (`bare_observation`): the floor of that cost;
4. the runner mode (`dryrun --runner`, issue 15) on the same file: psql itself runs it
   through pgfence's proxy, every statement observed as it arrives; what the proxy adds
   per statement above the plain dry-run (issue 15's target: at most 1 ms).
Targets from the issue (2-core machine): cold < 2 s, warm < 0.5 s, ratio < 1.5.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from pgfence.dryrun.proxy.command import RunnerRequest, observe_runner
from pgfence.dryrun.runner import DryRunOptions, run_in_database
from pgfence.dryrun.servers.embedded import embedded_server
from pgfence.sources.sql import read_sql_file

TABLES, STATEMENTS, RUNS = 300, 100, 5


def schema_sql() -> str:
    parts = []
    for i in range(1, TABLES + 1):
        parts.append(
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text, n int,"
            " created timestamptz DEFAULT now());\n"
            f"CREATE INDEX t{i}_n_idx ON t{i} (n);\n"
            f"INSERT INTO t{i} (id, name, n) SELECT g, 'x' || g, g FROM generate_series(1, 50) g;\n"
        )
    return "".join(parts)


def migration_sql() -> str:
    kinds = [
        "ALTER TABLE t{i} ADD COLUMN note_{i} text;",
        "ALTER TABLE t{i} ALTER COLUMN n SET DEFAULT 0;",
        "CREATE INDEX t{i}_name_idx ON t{i} (name);",
        "ALTER TABLE t{i} ADD CONSTRAINT t{i}_n_check CHECK (n >= 0) NOT VALID;",
        "COMMENT ON TABLE t{i} IS 'table {i}';",
    ]
    return "\n".join(kinds[k % len(kinds)].format(i=k + 1) for k in range(STATEMENTS)) + "\n"


# The observation the issue prescribes for every statement, and nothing else: BEGIN, the
# statement, one pg_locks read by a probe session, one lock try per locked table from it,
# COMMIT. No prediction, no names, no rewrite check, no report: the least any dry-run that
# observes every statement this way pays, against which pgfence's own cost is judged.
_LOCKED_TABLES = """
SELECT l.relation::regclass::text FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = %s AND l.locktype = 'relation' AND c.relkind = 'r'
"""
_TRY = "DO $$BEGIN LOCK TABLE {} IN ROW EXCLUSIVE MODE NOWAIT; END$$"


def bare_observation(dsn: str, statements: list[str]) -> float:
    with (
        psycopg.connect(dsn, autocommit=True) as migration,
        psycopg.connect(dsn, autocommit=True) as probe,
    ):
        pid = migration.info.backend_pid
        start = time.perf_counter()
        for statement in statements:
            migration.execute("BEGIN")
            migration.execute(statement)
            for (table,) in probe.execute(_LOCKED_TABLES, (pid,), prepare=True).fetchall():
                # COMMENT ON locks pg_description, which the migration role may not lock.
                with contextlib.suppress(
                    psycopg.errors.LockNotAvailable, psycopg.errors.InsufficientPrivilege
                ):
                    probe.execute(_TRY.format(table))
            migration.execute("COMMIT")
        return time.perf_counter() - start


def whole_process(migration: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pgfence.cli", "dryrun", "--format", "json", str(migration)],
        capture_output=True,
        env=env,
        check=False,
    )
    return time.perf_counter() - start


# What a dry-run imports before it starts a server: the CLI, the dry-run stack (psycopg),
# the analysis (pglast, every check) and the output.
_IMPORTS = (
    "import pgfence.cli, pgfence.dryrun.runner, pgfence.dryrun.servers.embedded, "
    "pgfence.reporting.table; from pgfence.registry import all_checks; all_checks()"
)


def _import_time(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _IMPORTS], capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = root / "one.sql"
        one.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
        # Bytecode goes to a cache of its own (this machine may forbid writing it).
        cold_env = dict(
            os.environ,
            PGFENCE_CACHE_DIR=str(root / "cache"),
            PYTHONPYCACHEPREFIX=str(root / "pycache"),
        )
        cold_env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = whole_process(one, cold_env)
        warm = statistics.median(whole_process(one, cold_env) for _ in range(RUNS))
        startup = statistics.median(_import_time(cold_env) for _ in range(RUNS))
        print(f"cold start to first result (1 statement, empty cache): {cold:.2f} s")
        print(
            f"warm start to first result (1 statement, median of {RUNS}): {warm:.2f} s "
            f"(Python start-up and the dry-run path's imports alone: {startup:.2f} s; "
            "they overlap the server's start)"
        )

        schema = root / "schema.sql"
        schema.write_text(schema_sql())
        migration = root / "migration.sql"
        migration.write_text(migration_sql())
        with embedded_server() as server:
            psql = Path(server.bin_dir) / "psql"
            with psycopg.connect(server.dsn(), autocommit=True) as admin:
                admin.execute("CREATE DATABASE bench_template")
            subprocess.run(
                [str(psql), "-q", "-X", "-d", server.dsn("bench_template"), "-f", str(schema)],
                check=True,
                capture_output=True,
            )
            psql_times, dryrun_times, bare_times, runner_times = [], [], [], []
            for run in range(RUNS):
                with psycopg.connect(server.dsn(), autocommit=True) as admin:
                    names = ("psql", "dry", "bare", "runner")
                    for name in (f"bench_{kind}_{run}" for kind in names):
                        admin.execute(f"CREATE DATABASE {name} TEMPLATE bench_template")
                start = time.perf_counter()
                subprocess.run(
                    [
                        str(psql),
                        "-q",
                        "-X",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-d",
                        server.dsn(f"bench_psql_{run}"),
                        "-f",
                        str(migration),
                    ],
                    check=True,
                    capture_output=True,
                )
                psql_times.append(time.perf_counter() - start)
                parsed = [read_sql_file(str(migration))]
                start = time.perf_counter()
                reports, _ = run_in_database(
                    server, server.dsn(f"bench_dry_{run}"), parsed, DryRunOptions()
                )
                dryrun_times.append(time.perf_counter() - start)
                assert all(s.observation and s.observation.error is None for s in reports)
                bare_times.append(
                    bare_observation(
                        server.dsn(f"bench_bare_{run}"), migration.read_text().splitlines()
                    )
                )
                command = f"{psql} -q -X -v ON_ERROR_STOP=1 -f {migration}"
                start = time.perf_counter()
                observed = observe_runner(
                    server,
                    f"bench_runner_{run}",
                    RunnerRequest(command),
                    DryRunOptions(),
                    lambda _m: None,
                )
                runner_times.append(time.perf_counter() - start)
                assert observed.runner is not None and observed.runner.exit_code == 0
                assert len(observed.statements) == STATEMENTS
        p, d = statistics.median(psql_times), statistics.median(dryrun_times)
        b = statistics.median(bare_times)
        r = statistics.median(runner_times)
        print(f"{STATEMENTS} statements over {TABLES} tables, median of {RUNS} side by side:")
        print(f"  psql -f:          {p:.3f} s")
        print(
            f"  pgfence dry-run:  {d:.3f} s"
            f"  ({STATEMENTS / d:.0f} statements/s, every one observed)"
        )
        print(
            f"  the bare observation alone (BEGIN, statement, one pg_locks read, one lock try "
            f"per table, COMMIT): {b:.3f} s"
        )
        print(f"  ratio dry-run / psql: {d / p:.2f}   (bare observation / psql: {b / p:.2f})")
        print(
            f"  what observing adds per statement: {(d - p) / STATEMENTS * 1000:.2f} ms "
            f"(the bare observation: {(b - p) / STATEMENTS * 1000:.2f} ms)"
        )
        print(
            f"  pgfence dryrun --runner (psql -f through the proxy): {r:.3f} s; above the "
            f"plain dry-run: {(r - d) / STATEMENTS * 1000:.2f} ms per statement"
        )


if __name__ == "__main__":
    main()
