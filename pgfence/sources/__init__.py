"""Sources: turn what the user points at into Migrations of Statements."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pgfence.model import Migration
from pgfence.sources import checks as _format_checks  # noqa: F401  (registers them)
from pgfence.sources.files import DEFAULT_MAX_BYTES, expand_paths
from pgfence.sources.sql import BlockCounter, read_sql_file


def load_migrations(
    paths: Sequence[str],
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    fmt: str = "auto",
    texts: Mapping[str, str] | None = None,
) -> list[Migration]:
    """Read every migration under `paths`, in the order migration tools apply them.

    `fmt` names the migration format (see `pgfence.sources.formats.FORMATS`); "auto"
    detects it for each PATH from file names and contents. `texts`: what to read instead
    of some files' own text, by real path (a rewrite not yet written).
    """
    from pgfence.sources.formats import LoadContext, load

    return load(paths, LoadContext(BlockCounter(), max_bytes, texts or {}), fmt)


def earlier_migrations(
    tested: Sequence[Migration], *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> list[Migration]:
    """The migrations that come before the first one under test, in its directory.

    `pgfence dryrun --replay-before migrations/0042_x.sql` applies 0001 … 0041 first,
    without observing them, so that 0042 runs against the schema it was written for.
    For a migration format, "before" is that tool's order (revision chain, journal, …).
    """
    if not tested:
        return []
    first = tested[0]
    if first.format != "sql":
        return _earlier_in_format(tested, max_bytes)
    from pgfence.sources.files import natural_key

    directory = os.path.dirname(first.path) or "."
    siblings = expand_paths([directory])
    key = natural_key(os.path.relpath(first.path, directory))
    tested_paths = {os.path.realpath(m.path) for m in tested}
    blocks = BlockCounter()
    return [
        read_sql_file(path, blocks=blocks, max_bytes=max_bytes)
        for path in siblings
        if natural_key(os.path.relpath(path, directory)) < key
        and os.path.realpath(path) not in tested_paths
    ]


def _earlier_in_format(tested: Sequence[Migration], max_bytes: int | None) -> list[Migration]:
    first = tested[0]
    directory = os.path.dirname(first.path) or "."
    if first.format == "prisma":  # <migrations>/<name>/migration.sql
        directory = os.path.dirname(directory) or "."
    everything = load_migrations([directory], max_bytes=max_bytes, fmt=first.format)
    tested_paths = {os.path.realpath(m.path) for m in tested}
    earlier = []
    for migration in everything:
        if os.path.realpath(migration.path) == os.path.realpath(first.path):
            break
        if os.path.realpath(migration.path) not in tested_paths:
            earlier.append(migration)
    return earlier
