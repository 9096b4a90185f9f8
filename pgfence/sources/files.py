"""Finding migration files and reading them safely.

Every way a path can be unusable (missing, empty, binary, not UTF-8, absurdly large)
becomes one `BadInput` error that names the file and, where it helps, the line.
"""

from __future__ import annotations

import glob
import os
import re
import stat
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
            out.extend(glob_files(raw))
            continue
        path = Path(raw)
        if not path.exists():
            raise BadInput("no such file or directory", file=raw)
        if path.is_dir():
            found = [p for p in walk_files(raw) if p.endswith(suffixes)]
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


def glob_files(pattern: str) -> list[str]:
    """The regular files a glob matches, naturally sorted; none is bad input."""
    try:
        matches = [m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m)]
    except (RecursionError, OSError) as exc:  # `**` through a symlink loop or a deep tree
        why = "too deep" if isinstance(exc, RecursionError) else exc.strerror
        raise BadInput(f"cannot expand this pattern ({why})", file=pattern) from None
    if not matches:
        raise BadInput("no file matches this pattern", file=pattern)
    return sorted(matches, key=natural_key)


def walk_files(
    root: str, skipped: frozenset[str] = frozenset(), *, follow: bool = True
) -> list[str]:
    """Every regular file under the directory `root`, in no particular order.

    Hidden entries and directories named in `skipped` are left out, and so is whatever
    is not a regular file (a FIFO, a socket, a device: none is a migration, and reading
    one would block or never end). The walk keeps its own stack, so a tree of any depth
    is walked without recursion. Symbolic links to directories are not followed (no
    loop can form); a symbolic link to a file is read when it stays inside `root`, and is
    bad input when it leads out of it, so that a link cannot bring files from elsewhere
    on the machine into the analysis unseen.
    """
    inside = os.path.realpath(root)
    found: list[str] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            raise BadInput(
                f"cannot list directory: {exc.strerror or exc}", file=directory
            ) from None
        for entry in listed:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in skipped:
                        stack.append(entry.path)
                    continue
                if entry.is_symlink():
                    if not _link_to_file(entry.path, inside):
                        continue
                elif not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue  # vanished while listed; a loop of links is not a file either
            found.append(entry.path)
    return found


def _link_to_file(link: str, inside: str) -> bool:
    """Is `link` a symbolic link to a regular file inside `inside`? Out of it is an error."""
    target = os.path.realpath(link)
    if not os.path.isfile(target):
        if os.path.isdir(target) and os.path.commonpath([inside, target]) != inside:
            raise _leads_out(link, target)
        return False  # a link to a directory inside, a dangling link, a loop, a FIFO
    if os.path.commonpath([inside, target]) != inside:
        raise _leads_out(link, target)
    return True


def _leads_out(link: str, target: str) -> BadInput:
    return BadInput(
        f"symbolic link leads out of the directory given, to {target}; pgfence does not "
        "follow it (pass that path itself to analyse it)",
        file=link,
    )


def read_text(path: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """Read a migration as UTF-8 text, refusing what is not a text migration."""
    return decode(read_bytes(path, max_bytes=max_bytes), path)


def read_bytes(path: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file, at most `max_bytes` of them.

    Opened without blocking and checked after opening, so that a FIFO, a terminal or a
    device (`/dev/zero`) is refused instead of waited on or read without end, even when
    it took a regular file's place after the directory was listed.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except IsADirectoryError:
        raise BadInput("is a directory, expected a file", file=path) from None
    except OSError as exc:
        raise _unreadable(exc, path) from None
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise BadInput("is a directory, expected a file", file=path)
            if not stat.S_ISREG(info.st_mode):
                raise BadInput(f"not a regular file ({_kind(info.st_mode)})", file=path)
            if max_bytes is not None and info.st_size > max_bytes:
                raise _too_large(info.st_size, max_bytes, path)
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        except OSError as exc:
            raise _unreadable(exc, path) from None
    if max_bytes is not None and len(data) > max_bytes:  # it grew after fstat
        raise _too_large(len(data), max_bytes, path)
    return data


def open_head(path: str, size: int) -> bytes:
    """The first `size` bytes of a regular file; b"" for anything else or on error."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return b""
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read(size) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        except OSError:
            return b""


def _too_large(size: int, max_bytes: int, path: str) -> BadInput:
    return BadInput(
        f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a "
        "migration (raise it with --max-file-size)",
        file=path,
    )


def _unreadable(exc: OSError, path: str) -> BadInput:
    if isinstance(exc, FileNotFoundError):
        return BadInput("no such file or directory", file=path)
    if isinstance(exc, PermissionError):
        return BadInput("permission denied", file=path)
    return BadInput(f"cannot read: {exc.strerror or exc}", file=path)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def decode(data: bytes, path: str) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadInput(
            "binary file (it contains NUL bytes), expected migration text",
            file=path,
            line=data.count(b"\n", 0, nul) + 1,
        )
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
