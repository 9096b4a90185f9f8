"""Running the pgfence command the way a user does: a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgfence.dryrun.servers.base import Server

PGFENCE = [sys.executable, "-m", "pgfence.cli"]


def pgfence(
    *args: str,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`pgfence ARGS…` in a fresh process; its exit status, stdout and stderr as text."""
    return subprocess.run(
        [*PGFENCE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def database_with(server: Server, name: str, *sql_text: str, superuser: bool = False) -> str:
    """A fresh database `name` on `server` (pgfence's own replay.create_database), with
    `sql_text` run in it in autocommit; returns its DSN: the migration role's, or with
    `superuser` the superuser's (a user's server, as its administrator reaches it)."""
    import psycopg

    from pgfence.dryrun.replay import create_database

    create_database(server, name)
    dsn = server.dsn(name, superuser=superuser)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for text in sql_text:
            conn.execute(text.encode())  # no parameters: % in the SQL is literal
    return dsn
