"""The same migrations on several Postgres versions at once, and where they differ."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from pgfence.dryrun.replay import dump_schema
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers import ServerChoice, choose
from pgfence.dryrun.servers.base import Server
from pgfence.model import MatrixReport, Migration, Report, StatementReport, VersionDifference

Progress = Callable[[str], None]


def run_matrix(
    choices: Sequence[ServerChoice],
    migrations: Sequence[Migration],
    options: DryRunOptions,
    progress: Progress | None = None,
    parallel: int | None = None,
    trail: Callable[[str], None] | None = None,
) -> MatrixReport:
    """Dry-run `migrations` on every server of `choices`, a few at a time.

    Servers are started and stopped from this thread: a server follows the thread that
    started it if pgfence is killed (PR_SET_PDEATHSIG), so no worker thread may own one.
    """
    say = progress or (lambda _message: None)
    workers = parallel or max(1, min(len(choices), os.cpu_count() or 2, 4))
    servers: list[Server] = []
    dumped: str | None = None
    try:
        for choice in choices:
            server = choose(choice, trail)  # the search for each server: -v only
            server.start()
            servers.append(server)
            say(f"started PostgreSQL {server.version} ({server.backend})")
        if options.schema_from:
            # Once for every version, not once each: pg_dump locks every table of the
            # source while it runs. The oldest pg_dump that can read the source writes
            # what the older servers replay best.
            say("dumping the schema of --schema-from, once for every version")
            bin_dirs = [s.bin_dir for s in servers if s.bin_dir]
            dumped = dump_schema(options.schema_from, bin_dirs)
            options = dataclasses.replace(options, schema_file=dumped, schema_from=None)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pgfence-version") as pool:
            futures = [
                pool.submit(dry_run, server, migrations, options, None) for server in servers
            ]
            reports = [future.result() for future in futures]
    finally:
        for server in servers:
            server.stop()
        if dumped is not None:
            with contextlib.suppress(OSError):
                os.unlink(dumped)
    reports.sort(key=lambda r: r.pg_version)
    return MatrixReport(tuple(reports), tuple(differences(reports)))


def differences(reports: Sequence[Report]) -> list[VersionDifference]:
    """Statements whose locks, rewrites, blocking or errors are not the same everywhere."""
    out = []
    for statements in zip(*(r.statements for r in reports), strict=True):
        behaviours = [
            (r.pg_version, behaviour(s)) for r, s in zip(reports, statements, strict=True)
        ]
        if len({b for _, b in behaviours}) > 1:
            first = statements[0].statement
            out.append(VersionDifference(first.location, first.sql, tuple(behaviours)))
    return out


def behaviour(s: StatementReport) -> str:
    o = s.observation
    if o is None or not o.ran:
        return "not run"
    if o.error is not None:
        return f"ERROR {o.error.sqlstate}: {o.error.message}"
    strongest: dict[str, int] = {}
    for lock in o.locks:
        if lock.acquired and not lock.new:
            strongest[lock.relation] = max(strongest.get(lock.relation, 0), lock.mode)
    from pgfence.pg.locks import LockMode

    locks = ", ".join(
        f"{relation.removeprefix('public.')} {LockMode(mode).pg_name.removesuffix('Lock')}"
        for relation, mode in sorted(strongest.items())
        if not relation.startswith("pg_toast.")
    )
    parts = [locks or "no locks"]
    rewritten = sorted(
        r.removeprefix("public.") for r in o.rewritten if not r.startswith("pg_toast.")
    )
    if rewritten:
        parts.append(f"rewrites {', '.join(rewritten)}")
    if o.blocks_reads:
        parts.append("blocks reads+writes")
    elif o.blocks_writes:
        parts.append("blocks writes")
    return "; ".join(parts)
