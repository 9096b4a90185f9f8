"""`--changed-since REF`: the files added or changed since a git ref, as a PR check wants.

Compared with the merge base of REF and HEAD (what a pull request's diff shows), plus
what is changed in the work tree and not yet committed, plus new untracked files: a
migration being written is checked before it is committed. Deleted files are not.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pgfence.errors import UsageError


def changed_since(ref: str, cwd: str | None = None) -> frozenset[str]:
    """Real paths of the files added, copied, modified or renamed since `ref`."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd, ref).strip())
    try:
        base = _git(["merge-base", ref, "HEAD"], cwd, ref).strip()
    except UsageError:
        if _git(["rev-parse", "--is-shallow-repository"], cwd, ref).strip() == "true":
            # A CI checkout with fetch-depth 1: the history that holds the merge base is
            # not there, and git says nothing (or "not a valid object name").
            raise UsageError(
                f"--changed-since {ref}: this is a shallow clone, without the history that "
                "joins it to HEAD: fetch it (actions/checkout with `fetch-depth: 0`, or "
                "`git fetch --unshallow`)"
            ) from None
        raise
    changed = _git(["diff", "--name-only", "-z", "--diff-filter=ACMR", base], cwd, ref)
    # Both list paths from the top of the repository (ls-files when run there).
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], str(top), ref)
    names = [n for n in (changed + "\0" + untracked).split("\0") if n]
    return frozenset(os.path.realpath(top / n) for n in names)


def _git(args: list[str], cwd: str | None, ref: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, and git is not installed") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"--changed-since {ref}: {message.removeprefix('fatal: ')}")
    return done.stdout
