"""The whole-run cache of `pgfence analyze` (ruff's model), in the standard library only.

A second run over unchanged files replays the first one's stdout, stderr, exit status and
`--output` files, byte for byte, without importing the analysis. An entry is found by its
key (the command line, working directory, environment that changes the output, whether
the streams are terminals, the Python and pgfence that ran) and is valid while every file
the run read and every folder it listed is as it was: each is recorded while the run
happens, through an audit hook (`open`, `os.listdir`, `os.scandir`), with its size, its
modification time and a hash of its content (a file touched but not changed stays valid).
The folder of every file read is recorded too (a file that appears next to a migration
can change how it is read), and the configuration files that could appear in the working
directory or above it, which is where they are looked for.

Not cached: `--no-cache`, `--fix`/`--diff`/`--split`, standard input, a run that starts
a process or opens a connection (`--changed-since` runs git), and any exit status but 0
and 1. Entries are written to a temporary file and renamed into place, so two runs that
share the cache never see half an entry. A cache folder that cannot be written costs one
note on stderr; the run itself goes on.

The folder: `analyze` in pgfence's cache folder ($PGFENCE_CACHE_DIR, else
$XDG_CACHE_HOME/pgfence, else ~/.cache/pgfence), or $PGFENCE_ANALYZE_CACHE_DIR.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pgfence.version import __version__

FORMAT = 1  # of an entry; a new one changes every key
# Options after which a run is not replayed: it writes the migrations, reads standard input,
# or is told not to.
_UNCACHED_OPTIONS = frozenset({"--no-cache", "--fix", "--diff", "--split", "--stdin-filename", "-"})
_ENV_NAMES = frozenset({"NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES", "HOME"})
_ENV_PREFIXES = ("PGFENCE_", "FLYWAY_", "PYTHON", "LC_", "LANG", "XDG_CACHE_HOME")
# The configuration files looked for from the working directory up (config.FILE_NAMES):
# their folders are not followed, whose other entries change too often (/tmp, a home).
CONFIG_NAMES = ("pgfence.toml", "pyproject.toml")
# Events after which the outcome depends on more than files: another process, the network.
_UNCACHEABLE_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "socket.connect",
        "socket.getaddrinfo",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

# A dependency: path -> (size, mtime_ns, digest); size -1 for a folder, -2 when missing.
Dependency = tuple[int, int, bytes]


def directory() -> str:
    """`analyze` in pgfence's cache folder (as the dry-run's clusters: PGFENCE_CACHE_DIR,
    else $XDG_CACHE_HOME/pgfence, else ~/.cache/pgfence); PGFENCE_ANALYZE_CACHE_DIR names
    this one alone (the test suite gives each test its own)."""
    given = os.environ.get("PGFENCE_ANALYZE_CACHE_DIR")
    if given:
        return given
    root = os.environ.get("PGFENCE_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (
            xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
        )
        root = os.path.join(base, "pgfence")
    return os.path.join(root, "analyze")


def cacheable(argv: list[str]) -> bool:
    """Whether this command line is an `analyze` run that may be replayed."""
    command = next((a for a in argv if not a.startswith("-")), None)
    return command == "analyze" and not any(a in _UNCACHED_OPTIONS for a in argv)


def _is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def key(argv: list[str]) -> str:
    """The entry's name: everything of this run that is not a file it reads."""
    env = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)
    )
    try:
        size = tuple(os.get_terminal_size(sys.__stdout__.fileno()))  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        size = ()
    facts = (
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
        sys.flags.hash_randomization,
        argv,
        os.getcwd(),
        env,
        _is_tty(sys.stdout),
        _is_tty(sys.stderr),
        size,
        _own_modules(),
    )
    return hashlib.blake2b(repr(facts).encode(), digest_size=16).hexdigest()


def _own_modules() -> list[tuple[str, int, int]]:
    """Size and modification time of every module of pgfence: a changed check invalidates
    even when only a worker process (`--jobs`) imported it."""
    root = os.path.dirname(os.path.abspath(__file__))
    found: list[tuple[str, int, int]] = []
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
                elif entry.is_dir() and entry.name != "__pycache__":
                    folders.append(entry.path)
    return sorted(found)


@dataclass
class Entry:
    dependencies: dict[str, Dependency]
    stdout: bytes
    stderr: bytes
    code: int
    outputs: dict[str, bytes] = field(default_factory=dict)

    def dump(self) -> bytes:
        return marshal.dumps(
            (FORMAT, self.dependencies, self.stdout, self.stderr, self.code, self.outputs)
        )

    @classmethod
    def load(cls, data: bytes) -> Entry | None:
        loaded = marshal.loads(data)
        if not isinstance(loaded, tuple) or len(loaded) != 6 or loaded[0] != FORMAT:
            return None
        return cls(loaded[1], loaded[2], loaded[3], loaded[4], loaded[5])


def _digest(path: str, size: int) -> bytes:
    if size == -1:
        listing = "\0".join(sorted(os.listdir(path))).encode()
        return hashlib.blake2b(listing, digest_size=16).digest()
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).digest()


def _stat(path: str) -> tuple[int, int]:
    """(size, mtime_ns); size -1 for a folder, -2 (and mtime 0) when there is nothing."""
    try:
        st = os.stat(path)
    except OSError:
        return -2, 0
    return (-1 if os.path.isdir(path) else st.st_size), st.st_mtime_ns


def _unchanged(dependencies: dict[str, Dependency]) -> bool:
    for path, (size, mtime, digest) in dependencies.items():
        now_size, now_mtime = _stat(path)
        if now_size != size:
            return False
        if now_mtime != mtime and size != -2:
            try:
                if _digest(path, size) != digest:
                    return False
            except OSError:
                return False
    return True


def lookup(name: str) -> Entry | None:
    try:
        with open(os.path.join(directory(), f"{name}.entry"), "rb") as fh:
            entry = Entry.load(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if entry is None or not _unchanged(entry.dependencies):
        return None
    return entry


def store(name: str, entry: Entry) -> None:
    """Write the entry atomically; a folder that cannot be written is one note on stderr."""
    folder = directory()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(entry.dump())
            os.replace(tmp, os.path.join(folder, f"{name}.entry"))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        sys.stderr.write(
            f"pgfence: note: results not cached: {folder}: {exc.strerror or exc} "
            "(PGFENCE_ANALYZE_CACHE_DIR sets the folder; --no-cache skips it)\n"
        )


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def replay(entry: Entry) -> int:
    """The recorded run again: its files, stderr, stdout and exit status (141 when the
    reader of stdout went away, as a process SIGPIPE ends)."""
    for path, data in entry.outputs.items():
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    return _show(entry)


class _Recorder:
    """What the run reads, lists and writes, from the interpreter's audit events."""

    def __init__(self) -> None:
        self.active = False
        self.spoiled = False  # the run did something whose outcome files do not decide
        self.read: dict[str, tuple[int, int]] = {}
        self.written: set[str] = set()

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if not self.active:
            return
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, str | bytes | os.PathLike):
                return  # a descriptor
            name = os.path.abspath(os.fsdecode(path))
            if name.endswith(".pyc"):
                return  # the interpreter's own bytecode, read or written
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else False
            if writes or (mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS):
                self.written.add(name)
            else:
                self._depend(name)
                self._depend(os.path.dirname(name))
        elif event in ("os.listdir", "os.scandir"):
            path = "." if args[0] is None else args[0]
            if not isinstance(path, str | bytes | os.PathLike):
                self.spoiled = True  # a folder by descriptor: not followed
                return
            self._depend(os.path.abspath(os.fsdecode(path)))
        elif event in _UNCACHEABLE_EVENTS:
            self.spoiled = True

    def _depend(self, name: str) -> None:
        if name not in self.read:
            self.read[name] = _stat(name)

    def dependencies(self) -> dict[str, Dependency] | None:
        """Every input with its digest; None when one changed while the run read it."""
        out: dict[str, Dependency] = {}
        for path, (size, mtime) in self.read.items():
            if path in self.written:
                continue
            try:
                digest = b"" if size == -2 else _digest(path, size)
            except OSError:
                return None
            if _stat(path) != (size, mtime):
                return None
            out[path] = (size, mtime, digest)
        return out


_RECORDER = _Recorder()
_missed: list[str] = []  # the key that launch looked up and did not find


def _ancestors(path: str) -> Iterator[str]:
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def serve(argv: list[str]) -> int | None:
    """The exit status of a recorded run replayed, or None when there is none to replay."""
    if not cacheable(argv):
        return None
    name = key(argv)
    entry = lookup(name)
    if entry is None:
        _missed.append(name)
        return None
    return replay(entry)


def run(argv: list[str], work: Callable[[], int]) -> int:
    """`work()` (the whole command; returns its exit status), replayed from the cache when
    it can be and recorded into it when it may be."""
    if not cacheable(argv):
        return work()
    if not _missed:
        served = serve(argv)
        if served is not None:
            return served
    name = _missed[-1]
    if not _RECORDER.active:
        sys.addaudithook(_RECORDER)
    for folder in _ancestors(os.getcwd()):
        for config_name in CONFIG_NAMES:
            _RECORDER._depend(os.path.join(folder, config_name))
    real_out, real_err = sys.stdout, sys.stderr
    captured_out, captured_err = io.BytesIO(), io.BytesIO()
    streams = _capture(captured_out, real_out), _capture(captured_err, real_err)
    sys.stdout, sys.stderr = streams
    _RECORDER.active = True
    code = 2
    try:
        code = work()
    finally:
        _RECORDER.active = False
        for stream in streams:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
                stream.detach()  # the bytes stay readable
        sys.stdout, sys.stderr = real_out, real_err
    entry = Entry({}, captured_out.getvalue(), captured_err.getvalue(), code)
    if code in (0, 1) and not _RECORDER.spoiled:
        dependencies = _RECORDER.dependencies()
        outputs = _outputs(_RECORDER.written)
        if dependencies is not None and outputs is not None:
            entry.dependencies, entry.outputs = dependencies, outputs
            store(name, entry)  # its note, if any, is not part of the entry
    return _show(entry)


def _show(entry: Entry) -> int:
    """The captured output on the real streams (the files are written already)."""
    _write(2, entry.stderr)
    try:
        _write(1, entry.stdout)
    except OSError as exc:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        if isinstance(exc, BrokenPipeError):
            return entry.code or 141
        # As the command itself says it (cli.main): a full disk is bad output, not a bug.
        _write(2, f"pgfence: error: cannot write the output: {exc.strerror}\n".encode())
        return 2
    return entry.code


def _outputs(paths: set[str]) -> dict[str, bytes] | None:
    out = {}
    for path in sorted(paths):
        try:
            with open(path, "rb") as fh:
                out[path] = fh.read()
        except OSError:
            return None
    return out


class _Capture(io.TextIOWrapper):
    """A text stream into memory that says whether the real one is a terminal."""

    def __init__(self, buffer: io.BytesIO, real: object, tty: bool) -> None:
        encoding = getattr(real, "encoding", None) or "utf-8"
        errors = getattr(real, "errors", None) or "strict"
        super().__init__(buffer, encoding=encoding, errors=errors, write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _capture(buffer: io.BytesIO, real: object) -> _Capture:
    return _Capture(buffer, real, _is_tty(real))
