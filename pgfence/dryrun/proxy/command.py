"""`pgfence dryrun --runner CMD`: the project's own migration tool run against pgfence's
throwaway server through the proxy, every statement it sends observed.

The command runs in a shell, in a process group of its own (killed whole at
--runner-timeout or on Ctrl-C), with the proxy's address in DATABASE_URL, PGHOST, PGPORT,
PGUSER, PGDATABASE, PGPASSWORD and in the `{dsn}`, `{host}`, `{port}`, `{database}`
placeholders of the command line. Only ever on a server pgfence started: a runner commits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pgfence.analysis.analyze import finish
from pgfence.dryrun import queries, replay
from pgfence.dryrun.findings import dynamic_findings
from pgfence.dryrun.introspect import load_catalog
from pgfence.dryrun.probe import connect
from pgfence.dryrun.proxy.compare import differences
from pgfence.dryrun.proxy.observe import RunnerWatcher
from pgfence.dryrun.proxy.relay import Proxy
from pgfence.dryrun.runner import DryRunOptions, prepare_schema
from pgfence.dryrun.servers.base import Server
from pgfence.errors import UsageError
from pgfence.model import (
    ExtractionDifference,
    Migration,
    Report,
    RunnerOutcome,
    StatementReport,
)
from pgfence.version import __version__

Progress = Callable[[str], None]

DEFAULT_RUNNER_TIMEOUT_S = 600.0
OUTPUT_KEPT = 4000  # characters of the runner's output kept (its end)
DATABASE = "pgfence_runner"


@dataclass(frozen=True)
class RunnerRequest:
    command: str
    timeout_s: float = DEFAULT_RUNNER_TIMEOUT_S
    migrations_dir: Path | None = None
    cwd: Path | None = None
    # --compare-static DIR: pgfence's static reading of the migrations there, compared.
    compare_static: Path | None = None


def dry_run_runner(
    server: Server,
    runner: RunnerRequest,
    options: DryRunOptions,
    progress: Progress | None = None,
) -> Report:
    """Prepare the starting schema, start the proxy, run the command, report."""
    say = progress or (lambda _message: None)
    if not server.throwaway:
        raise UsageError("--runner needs a server pgfence starts: not --dsn (a runner commits)")
    database = options.database or DATABASE
    replay.create_database(server, database)
    prepare_schema(server, server.dsn(database), options, say)
    return observe_runner(server, database, runner, options, say)


def observe_runner(
    server: Server,
    database: str,
    runner: RunnerRequest,
    options: DryRunOptions,
    say: Progress,
) -> Report:
    """Run the command against `database` (its starting schema in place), observed."""
    dsn = server.dsn(database)
    with connect(dsn, application_name="pgfence catalog") as conn:
        catalog = load_catalog(conn)
    watcher = RunnerWatcher(
        dsn,
        catalog,
        server.major,
        options.settings,
        options.statement_timeout_s,
        runner.migrations_dir or runner.compare_static,
    )
    params = conninfo_to_dict(dsn)
    host = str(params.get("host") or "127.0.0.1")
    port = int(str(params.get("port") or 5432))
    # A server behind a Unix socket trusts it: the proxy asks for a password of its own.
    # One on TCP (docker) asks for its own, relayed as it is.
    password = secrets.token_hex(16) if host.startswith("/") else None
    user = str(params.get("user") or "")
    with Proxy(host, port, watcher=watcher, password=password) as proxy:
        listen_host, listen_port = proxy.address
        given = password if password is not None else str(params.get("password") or "")
        env = _environment(listen_host, listen_port, user, database, given)
        command = _substituted(runner.command, env)
        say(f"running the migration tool: {runner.command}")
        exit_code, timed_out, output = run_command(command, env, runner.timeout_s, runner.cwd)
        connections = proxy.connections
        faults = tuple(proxy.watcher_errors)
        backends = list(proxy.backend_pids)
    watcher.close()
    _terminate(dsn, backends)
    outcome = RunnerOutcome(
        command=runner.command,
        exit_code=exit_code,
        timed_out=timed_out,
        connections=connections,
        output=output,
        faults=faults,
    )
    return _report(server, runner, options, watcher, outcome)


def _terminate(dsn: str, pids: list[int]) -> None:
    """End the runner's sessions still on the server: a killed runner's connection is
    closed, but its backend goes on until its statement ends (a pg_sleep, a concurrent
    build waiting for older transactions)."""
    if not pids:
        return
    with contextlib.suppress(psycopg.Error), connect(dsn, application_name="pgfence") as conn:
        conn.execute(queries.TERMINATE_BACKENDS, (pids,))


def _environment(host: str, port: int, user: str, database: str, password: str) -> dict[str, str]:
    url = f"postgresql://{quote(user)}:{quote(password)}@{host}:{port}/{quote(database)}"
    return {
        "DATABASE_URL": url,
        "PGHOST": host,
        "PGPORT": str(port),
        "PGUSER": user,
        "PGDATABASE": database,
        "PGPASSWORD": password,
        "PGSSLMODE": "disable",
    }


def _substituted(command: str, env: dict[str, str]) -> str:
    values = {
        "{dsn}": env["DATABASE_URL"],
        "{host}": env["PGHOST"],
        "{port}": env["PGPORT"],
        "{database}": env["PGDATABASE"],
    }
    for placeholder, value in values.items():
        command = command.replace(placeholder, value)
    return command


def run_command(
    command: str, env: dict[str, str], timeout_s: float, cwd: Path | None = None
) -> tuple[int | None, bool, str]:
    """Run `command` in a shell and a process group of its own: (exit code, killed at
    the timeout, the end of its output). Its whole group is killed at the timeout, or when
    pgfence is interrupted (the interruption then goes on)."""
    process = subprocess.Popen(
        command,
        shell=True,
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    chunks: list[bytes] = []

    def read() -> None:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            chunks.append(chunk)
            while sum(len(c) for c in chunks) > 4 * OUTPUT_KEPT and len(chunks) > 1:
                chunks.pop(0)

    reader = threading.Thread(target=read, name="pgfence-runner-output", daemon=True)
    reader.start()
    timed_out = False
    try:
        code: int | None = process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        code = None
    except BaseException:
        _kill_group(process)
        raise
    reader.join(5)
    output = b"".join(chunks).decode("utf-8", "replace")
    return code, timed_out, output[-OUTPUT_KEPT:]


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(3)
            return
        except subprocess.TimeoutExpired:
            continue


def _report(
    server: Server,
    runner: RunnerRequest,
    options: DryRunOptions,
    watcher: RunnerWatcher,
    ran: RunnerOutcome,
) -> Report:
    sent = watcher.judged()
    reports: list[StatementReport] = [s.report for s in sent]
    by_file: dict[str, list[StatementReport]] = {}
    for report in reports:
        by_file.setdefault(report.statement.location.file, []).append(report)
    migrations = [
        Migration(path=path, format="runner", statements=tuple(r.statement for r in group))
        for path, group in by_file.items()
    ]
    reports, findings = finish(reports, [s.facts for s in sent], migrations, options.settings)
    for i, report in enumerate(reports):
        more = dynamic_findings(report, sent[i].facts, options.settings)
        if more:
            reports[i] = StatementReport(
                report.statement,
                report.prediction,
                report.findings + more,
                report.observation,
                report.verdict,
            )
    found: list[ExtractionDifference] = []
    if runner.compare_static is not None:
        from pgfence.sources import load_migrations

        static = load_migrations([str(runner.compare_static)])
        found = differences(static, [s.report for s in sent])
    outcome = dataclasses.replace(
        ran,
        own_statements=tuple(watcher.own),
        migrations=tuple(watcher.migrations),
        compared=runner.compare_static is not None,
        differences=tuple(found),
    )
    return Report(
        pgfence_version=__version__,
        pg_version=server.major,
        statements=tuple(reports),
        findings=tuple(findings),
        server=server.info,
        fail_on=options.fail_on,
        command="dryrun",
        runner=outcome,
    )
