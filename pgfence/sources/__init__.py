"""Sources: turn what the user points at into Migrations of Statements."""

from __future__ import annotations

from collections.abc import Sequence

from pgfence.model import Migration
from pgfence.sources.files import DEFAULT_MAX_BYTES, expand_paths
from pgfence.sources.sql import BlockCounter, read_sql_file


def load_migrations(
    paths: Sequence[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> list[Migration]:
    """Read every migration under `paths`, in the order migration tools apply them."""
    blocks = BlockCounter()
    return [read_sql_file(f, blocks=blocks, max_bytes=max_bytes) for f in expand_paths(paths)]


def earlier_migrations(
    tested: Sequence[Migration], *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> list[Migration]:
    """The migrations that sort before the first one under test, in its directory.

    `pgfence dryrun --replay-before migrations/0042_x.sql` applies 0001 … 0041 first,
    without observing them, so that 0042 runs against the schema it was written for.
    """
    import os

    from pgfence.sources.files import natural_key

    if not tested:
        return []
    first = tested[0].path
    directory = os.path.dirname(first) or "."
    siblings = expand_paths([directory])
    key = natural_key(os.path.relpath(first, directory))
    tested_paths = {os.path.realpath(m.path) for m in tested}
    blocks = BlockCounter()
    return [
        read_sql_file(path, blocks=blocks, max_bytes=max_bytes)
        for path in siblings
        if natural_key(os.path.relpath(path, directory)) < key
        and os.path.realpath(path) not in tested_paths
    ]
