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
