"""The Postgres majors pgfence predicts for, and runs its scenarios on."""

from __future__ import annotations

OLDEST, NEWEST = 14, 18
SUPPORTED_VERSIONS = tuple(range(OLDEST, NEWEST + 1))
