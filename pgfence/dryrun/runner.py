"""Run migrations on a real server and observe every statement: `dry_run`.

Order of work: replay the starting schema into a template database once; copy it; load
the copy's catalog (so the prediction knows the real schema); then, statement by
statement and in the migration's own transactions, predict, execute, observe, judge
(`execute.py`). With `--seed` the run is made at several sizes (`scaling.py`), each
through `execute.py` too. A server that lacks an extension the migrations create is
swapped for installed binaries of its major that have it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from pgfence.dryrun import extensions
from pgfence.dryrun.execute import (
    EMPTY_START,
    DryRunOptions,
    Progress,
    gate_tables,
    observe_existing,
    on_throwaway,
    prepare_schema,
    run_in_database,
)
from pgfence.dryrun.servers.base import Server
from pgfence.errors import ServerError, UsageError
from pgfence.model import Migration, Report
from pgfence.version import __version__

# What importers of the dry-run use: the entry point here, the rest from execute.py.
__all__ = [
    "EMPTY_START",
    "DryRunOptions",
    "Progress",
    "dry_run",
    "gate_tables",
    "observe_existing",
    "on_throwaway",
    "prepare_schema",
    "run_in_database",
]


def dry_run(
    server: Server,
    migrations: Sequence[Migration],
    options: DryRunOptions,
    progress: Progress | None = None,
) -> Report:
    say = progress or (lambda _message: None)
    if server.throwaway:
        with contextlib.ExitStack() as stack:
            chosen = _server_with_extensions(server, migrations, say, stack)
            return _dry_run(chosen, migrations, options, say)
    return _dry_run(server, migrations, options, say)


def _server_with_extensions(
    server: Server, migrations: Sequence[Migration], say: Progress, stack: contextlib.ExitStack
) -> Server:
    """`server`, or installed binaries of its major that ship the extensions the
    migrations create and it lacks (started in `stack`); none: ServerError, one line."""
    missing = extensions.lacking(server.dsn(), extensions.needed(migrations))
    if not missing:
        return server
    names = [n.name for n in missing]
    current = Path(server.bin_dir) if server.bin_dir else None
    other = extensions.alternative(server.major, names, current)
    if other is None:
        majors = [m for m in extensions.elsewhere(names) if m != server.major]
        raise ServerError(extensions.message(missing, server.version, server.backend, majors))
    from pgfence.dryrun.servers.local import LocalServer

    say(
        f"PostgreSQL {server.version} ({server.backend}) lacks {', '.join(names)}: "
        f"running on {other} instead"
    )
    return stack.enter_context(LocalServer(other, backend="local"))


def _dry_run(
    server: Server, migrations: Sequence[Migration], options: DryRunOptions, say: Progress
) -> Report:
    if options.seed is not None and server.throwaway:
        from pgfence.dryrun.scaling import dry_run_at_sizes

        return dry_run_at_sizes(server, migrations, options, say)
    if server.throwaway:
        reports, findings = on_throwaway(server, migrations, options, say)
    elif options.isolate:
        raise UsageError("--isolate does not apply to --dsn: pgfence creates no database there")
    else:
        reports, findings = observe_existing(server, server.dsn(), migrations, options, say)
    return Report(
        pgfence_version=__version__,
        pg_version=server.major,
        statements=tuple(reports),
        findings=tuple(findings),
        server=server.info,
        fail_on=options.fail_on,
        command="dryrun",
    )
