"""Running the pgfence command the way a user does: a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
