"""Path globs of the configuration (`include`, `exclude`, per-path `overrides`)."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path


def relative(path: str, root: Path) -> str:
    """`path` relative to `root` (resolved), with /; absolute when it lies outside."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(_resolved(root)).as_posix()
    except ValueError:
        return absolute.as_posix()


@cache
def _resolved(root: Path) -> Path:
    return root.resolve()


def match(pattern: str, path: str) -> bool:
    """Does `path` (relative, with /) match `pattern`?

    `**` spans directories, `*` and `?` stay within one; a pattern without wildcards
    names a file or a directory (and everything under it).
    """
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if not re.search(r"[*?]", pattern):
        return path == pattern or path.startswith(pattern + "/")
    return _compile(pattern).fullmatch(path) is not None


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))
