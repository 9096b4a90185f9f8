"""Finding migration files and reading them safely.

Every way a path can be unusable (missing, empty, binary, not UTF-8, absurdly large)
becomes one `BadInput` error that names the file and, where it helps, the line.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pgfence.errors import BadInput

# A migration is a few kilobytes; tens of megabytes is a data dump given by mistake.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_GLOB_CHARS = re.compile(r"[*?\[]")
_NATURAL = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders `V2__` before `V10__` and `0009_` before `0010_`."""
    parts = _NATURAL.split(path.replace(os.sep, "/").lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def expand_paths(
    paths: Sequence[str], *, suffixes: Iterable[str] = (".sql",), what: str = "SQL"
) -> list[str]:
    """Turn files, directories and globs into an ordered list of files.

    Files named explicitly are taken whatever their suffix, in the order given;
    directories are searched recursively for `suffixes` and sorted naturally.
    """
    suffixes = tuple(suffixes)
    out: list[str] = []
    for raw in paths:
        if not os.path.exists(raw) and _GLOB_CHARS.search(raw):
            matches = [m for m in glob.glob(raw, recursive=True) if os.path.isfile(m)]
            if not matches:
                raise BadInput("no file matches this pattern", file=raw)
            out.extend(sorted(matches, key=natural_key))
            continue
        path = Path(raw)
        if not path.exists():
            raise BadInput("no such file or directory", file=raw)
        if path.is_dir():
            found = [
                str(p)
                for p in path.rglob("*")
                if p.is_file() and p.name.endswith(suffixes) and not _hidden(p, path)
            ]
            if not found:
                listed = ", ".join(suffixes)
                raise BadInput(f"directory holds no {what} files ({listed})", file=raw)
            out.extend(sorted(found, key=lambda p: natural_key(os.path.relpath(p, raw))))
        elif path.is_file():
            out.append(raw)
        else:
            raise BadInput("not a regular file", file=raw)
    seen: set[str] = set()
    unique = []
    for f in out:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_text(path: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """Read a migration as UTF-8 text, refusing what is not a text migration."""
    try:
        size = os.path.getsize(path)
        if max_bytes is not None and size > max_bytes:
            raise BadInput(
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a "
                "migration (raise it with --max-file-size)",
                file=path,
            )
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise BadInput("is a directory, expected a file", file=path) from None
    except FileNotFoundError:
        raise BadInput("no such file or directory", file=path) from None
    except PermissionError:
        raise BadInput("permission denied", file=path) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror or exc}", file=path) from None
    return decode(data, path)


def decode(data: bytes, path: str) -> str:
    if b"\x00" in data[:65536]:
        raise BadInput("binary file (it contains NUL bytes), expected SQL text", file=path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); "
            "save the file as UTF-8",
            file=path,
            line=line,
        ) from None
    if not text.strip():
        raise BadInput("file is empty", file=path)
    return text
