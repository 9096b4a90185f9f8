"""The directories a throwaway server uses, and why pgfence trusts them.

On a shared machine another user can create a directory first, under a name pgfence would
use, and fill it: a `pgfence-install-*` copy of Postgres binaries that pgfence would run,
a cached cluster it would start, a `postmaster.pid` naming a process it would signal. So
every directory pgfence keeps or reuses must be its own: a real directory (not a
symbolic link), owned by the user pgfence runs as (or by the service user the server runs
as, for the files that user writes), and writable by nobody else. A place pgfence only
creates its own directories in (the temporary directory, PGFENCE_TMPDIR) may be shared,
but then it must carry the sticky bit, so that nobody else can rename or remove them.

Each refusal is a ServerError (exit 3) of one line that names the directory.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from pgfence.errors import ServerError

PRIVATE = 0o700


def private_dir(path: Path, what: str, *, owners: tuple[int, ...] = ()) -> Path:
    """`path`, created if missing (mode 700, parents too), and checked to be ours."""
    try:
        path.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    except FileExistsError:
        raise ServerError(f"{what} {path} exists and is not a directory") from None
    except OSError as exc:
        raise ServerError(f"{what} {path} cannot be created: {_reason(exc)}") from None
    check_private(path, what, owners=owners)
    return path


def check_private(path: Path, what: str, *, owners: tuple[int, ...] = ()) -> None:
    """Refuse `path` unless it is a directory owned by us (or one of `owners`) that no one
    else may write to."""
    info = _lstat(path, what)
    if stat.S_ISLNK(info.st_mode):
        raise ServerError(f"{what} {path} is a symbolic link: pgfence will not use it")
    if not stat.S_ISDIR(info.st_mode):
        raise ServerError(f"{what} {path} exists and is not a directory")
    allowed = (os.geteuid(), *owners)
    if info.st_uid not in allowed:
        raise ServerError(
            f"{what} {path} belongs to another user (uid {info.st_uid}, not {os.geteuid()}): "
            "pgfence will not use it; remove it, or choose another place"
        )
    if info.st_mode & 0o022:
        raise ServerError(
            f"{what} {path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o}): "
            "pgfence will not use it; `chmod go-w` it, or choose another place"
        )


def check_shared_parent(path: Path, what: str) -> None:
    """A place pgfence makes its own private directories in: it must be a writable
    directory; if others may write to it, only with the sticky bit (as /tmp has)."""
    info = _lstat(path, what, follow=True)
    if not stat.S_ISDIR(info.st_mode):
        raise ServerError(f"{what} {path} is not a directory")
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        raise ServerError(
            f"{what} {path} is writable by other users and not sticky "
            f"(mode {stat.S_IMODE(info.st_mode):o}): others could replace pgfence's files "
            "there; choose another place"
        )
    if info.st_uid not in (os.geteuid(), 0) and not info.st_mode & stat.S_ISVTX:
        raise ServerError(
            f"{what} {path} belongs to another user (uid {info.st_uid}): choose another place"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        raise ServerError(f"{what} {path} is not writable by this user")


def owned_by_us(path: Path, *, owners: tuple[int, ...] = ()) -> bool:
    """Is `path` (not followed if a link) ours or one of `owners`', and nobody else's to
    write? For things pgfence only reuses when they are: leftovers, markers."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        not stat.S_ISLNK(info.st_mode)
        and info.st_uid in (os.geteuid(), *owners)
        and not info.st_mode & 0o022
    )


def _lstat(path: Path, what: str, *, follow: bool = False) -> os.stat_result:
    try:
        return path.stat() if follow else path.lstat()
    except OSError as exc:
        raise ServerError(f"{what} {path} cannot be used: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the device"
    if isinstance(exc, shutil.Error):  # a copy's errors, one per file: (src, dst, why)
        text = str(exc)
        if "No space left" in text or "Disk quota" in text:
            return "no space left on the device"
        failures = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
        return f"could not copy {len(failures)} file(s)" if failures else "could not copy"
    return exc.strerror or str(exc)


def unusable(what: str, path: Path | str, exc: OSError) -> ServerError:
    """One line for an OSError met while writing in one of pgfence's directories."""
    return ServerError(f"{what} {path}: {_reason(exc)}")
