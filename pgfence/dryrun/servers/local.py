"""Throwaway Postgres servers started from binaries on this machine.

Postgres refuses to run as root. When pgfence runs as root it creates (once) a system
user `pgfence` and runs initdb and the server as that user. Each server lives in a private
temporary directory (data directory and Unix socket, no TCP listener), runs with
durability off, and is stopped and removed when the `with` block ends, on an error, on
Ctrl-C and on SIGTERM. If pgfence itself is killed outright, the server follows it
(PR_SET_PDEATHSIG) and the next run removes the leftover directory.

Start-up is fast because initdb runs once per server version: the fresh cluster is kept
in the cache directory and copied for each server.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from pgfence.dryrun.servers.base import Server
from pgfence.errors import ServerError

SERVICE_USER = "pgfence"
PORT = 5432  # only names the socket file: the server listens on no TCP address
STARTUP_TIMEOUT = 60.0

# Durability off: a throwaway server never needs to survive a crash. Autovacuum off: it
# would take SHARE UPDATE EXCLUSIVE locks at random and disturb the lock probes.
THROWAWAY_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    "jit": "off",
    "max_connections": "40",
    # The lock table holds this many per connection (about 13,000 in all: enough for a
    # migration over thousands of partitions); pg_locks reads all of it, so every probe
    # costs more the bigger it is (512 made each read 0.08 ms slower).
    "max_locks_per_transaction": "256",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "logging_collector": "off",
    "TimeZone": "UTC",
}


def cache_dir() -> Path:
    """Where pgfence keeps initdb'd template clusters (PGFENCE_CACHE_DIR overrides)."""
    explicit = os.environ.get("PGFENCE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pgfence"


# A throwaway server's files need no durability: memory-backed storage makes copying the
# template cluster and CREATE DATABASE several times faster (measured 10x for the copy).
_TMPFS = Path("/dev/shm")
_TMPFS_MIN_FREE = 2 * 1024**3


def runtime_dir() -> Path:
    """Where servers keep their data directories (PGFENCE_TMPDIR overrides)."""
    explicit = os.environ.get("PGFENCE_TMPDIR")
    if explicit:
        return Path(explicit)
    with contextlib.suppress(OSError):
        stats = os.statvfs(_TMPFS)
        if os.access(_TMPFS, os.W_OK) and stats.f_bavail * stats.f_frsize >= _TMPFS_MIN_FREE:
            return _TMPFS
    return Path(tempfile.gettempdir())


def binary_version(bin_dir: Path) -> str:
    """`postgres --version` -> "18.6" (raises ServerError when there is no server there).

    Asked once per binary and process (choosing a server and starting it both need it).
    """
    postgres = bin_dir / "postgres"
    try:
        changed = postgres.stat().st_mtime_ns
    except OSError as exc:
        raise ServerError(f"{postgres} does not run: {exc}") from None
    return _binary_version(str(postgres), changed)


@functools.lru_cache(maxsize=32)
def _binary_version(postgres: str, _changed: int) -> str:
    try:
        out = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServerError(f"{postgres} does not run: {exc}") from None
    # "postgres (PostgreSQL) 18.6" or "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    parts = out.split(")", 1)[-1].split()
    if not parts:
        raise ServerError(f"{postgres} --version printed {out!r}")
    return parts[0]


def service_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as, created if needed; None unless root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    try:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--home-dir",
                "/nonexistent",
                SERVICE_USER,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise ServerError(
            f"Postgres refuses to run as root and the user {SERVICE_USER!r} could not be "
            f"created ({detail.strip()}); create it or run pgfence as another user"
        ) from None
    return pwd.getpwnam(SERVICE_USER)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # If pgfence is killed outright, the postmaster gets SIGQUIT (immediate shutdown).
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    os.chown(path, user.pw_uid, user.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


def _runs_as(bin_dir: Path, user: pwd.struct_passwd | None) -> bool:
    return user is None or _succeeds_as([str(bin_dir / "postgres"), "--version"], user)


def _can_enter(directory: Path, user: pwd.struct_passwd) -> bool:
    return _succeeds_as(["/bin/sh", "-c", 'cd "$1"', "sh", str(directory)], user)


def _succeeds_as(command: list[str], user: pwd.struct_passwd) -> bool:
    """Does `command`, run as `user`, exit 0?"""
    try:
        subprocess.run(
            command,
            user=user.pw_uid,
            group=user.pw_gid,
            capture_output=True,
            check=True,
            timeout=30,
        )
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def reachable_install(bin_dir: Path, user: pwd.struct_passwd | None, version: str) -> Path:
    """A bin directory the service user can execute.

    A wheel installed under /root (mode 700) cannot be run by another user: copy its
    relocatable installation (bin, lib, share) once to a world-readable place.
    """
    if _runs_as(bin_dir, user):
        return bin_dir
    assert user is not None
    root = bin_dir.parent
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:10]
    target = Path(tempfile.gettempdir()) / f"pgfence-install-{version}-{digest}"
    if not (target / "bin" / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix=".pgfence-install-", dir=target.parent))
        try:
            for part in ("bin", "lib", "share"):
                if (root / part).exists():
                    shutil.copytree(root / part, staging / part, symlinks=True)
            staging.chmod(0o755)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another pgfence got there first
    if not _runs_as(target / "bin", user):
        raise ServerError(f"user {SERVICE_USER!r} cannot run the Postgres binaries in {bin_dir}")
    return target / "bin"


# Changes whenever the initdb options change, so a cached cluster is never stale.
_INITDB_LAYOUT = "C-UTF8-wal1"


def template_cluster(bin_dir: Path, version: str, user: pwd.struct_passwd | None) -> Path:
    """A fresh initdb'd data directory for this server version, made once and cached."""
    key = hashlib.sha256(f"{version}|{bin_dir.resolve()}|{_INITDB_LAYOUT}".encode()).hexdigest()[
        :12
    ]
    target = cache_dir() / "clusters" / f"pg{version}-{key}"
    if (target / "PG_VERSION").exists():
        with contextlib.suppress(OSError):
            os.utime(target)  # its last use: the least recently used are pruned
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pgfence-initdb-"))
    try:
        data = work / "data"
        if user is not None:
            _chown_tree(work, user)
        args = [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
            # 1 MB WAL segments instead of 16: the first one is copied for every server.
            "--wal-segsize=1",
        ]
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=300,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise ServerError(f"initdb failed: {detail[-1] if detail else result.returncode}")
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        shutil.rmtree(staging)
        shutil.move(str(data), staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # a concurrent run cached it first
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prune_clusters(keep=target)
    return target


# Each Postgres install (a new virtualenv holds a new copy of the embedded wheel) gets a
# cluster of its own, 30 MB: without pruning the cache would only grow.
CLUSTERS_KEPT = 8
CLUSTER_UNUSED_DAYS = 30


def prune_clusters(keep: Path) -> None:
    """Remove cached clusters unused for CLUSTER_UNUSED_DAYS, and all but the
    CLUSTERS_KEPT most recently used (`keep`, just made, stays)."""
    clusters = []
    for path in keep.parent.glob("pg*-*"):
        with contextlib.suppress(OSError):
            clusters.append((path.stat().st_mtime, path))
    clusters.sort(reverse=True)
    horizon = time.time() - CLUSTER_UNUSED_DAYS * 86400
    for rank, (used, path) in enumerate(clusters):
        if path == keep or (rank < CLUSTERS_KEPT and used >= horizon):
            continue
        # Renamed first: a run starting meanwhile no longer finds a half-removed cluster.
        doomed = path.with_name(f".old-{path.name}-{os.getpid()}")
        try:
            path.rename(doomed)
        except OSError:
            continue
        shutil.rmtree(doomed, ignore_errors=True)


def remove_leftovers() -> None:
    """Remove directories of earlier pgfence servers whose owner process is gone."""
    places = {runtime_dir(), Path(tempfile.gettempdir())}
    for marker in (m for place in places for m in place.glob("pgfence-*/owner.pid")):
        with contextlib.suppress(OSError, ValueError):
            owner = int(marker.read_text().strip())
            if _alive(owner):
                continue
            pidfile = marker.parent / "data" / "postmaster.pid"
            if pidfile.exists():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGQUIT)
            shutil.rmtree(marker.parent, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalServer(Server):
    """A throwaway server from a directory of Postgres binaries."""

    throwaway = True

    def __init__(
        self, bin_dir: str | Path, *, backend: str = "local", settings: dict[str, str] | None = None
    ) -> None:
        self._bin_dir = Path(bin_dir)
        self.backend = backend
        self._settings = {**THROWAWAY_SETTINGS, **(settings or {})}
        self._version: str | None = None
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._socket_dir: Path | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = binary_version(self._bin_dir)
        return self._version

    @property
    def bin_dir(self) -> str:
        return str(self._bin_dir)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def dsn(self, dbname: str | None = None) -> str:
        assert self._socket_dir is not None, "server not started"
        return f"host={self._socket_dir} port={PORT} user=postgres dbname={dbname or 'postgres'}"

    def start(self) -> None:
        remove_leftovers()
        version = self.version
        user = service_user()
        bin_dir = reachable_install(self._bin_dir, user, version)
        template = template_cluster(bin_dir, version, user)
        self._tmp = Path(tempfile.mkdtemp(prefix="pgfence-", dir=runtime_dir()))
        try:
            self._launch(bin_dir, template, user)
        except BaseException:
            self.stop()
            raise

    def _launch(self, bin_dir: Path, template: Path, user: pwd.struct_passwd | None) -> None:
        assert self._tmp is not None
        if user is not None and not _can_enter(self._tmp.parent, user):
            raise ServerError(
                f"{self._tmp.parent} is not reachable by the user {SERVICE_USER!r} the server "
                "runs as (a parent directory is private): choose another place with "
                "PGFENCE_TMPDIR"
            )
        (self._tmp / "owner.pid").write_text(str(os.getpid()))
        data, sock, log = self._tmp / "data", self._tmp / "sock", self._tmp / "server.log"
        _copy_cluster(template, data)
        sock.mkdir(mode=0o700)
        log.touch()
        data.chmod(0o700)
        if user is not None:
            _chown_tree(self._tmp, user)
            os.chown(self._tmp / "owner.pid", 0, 0)
        args = [str(bin_dir / "postgres"), "-D", str(data), "-k", str(sock), "-p", str(PORT)]
        for name, value in self._settings.items():
            args += ["-c", f"{name}={value}"]
        with open(log, "ab") as log_file:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
            )
        self._socket_dir = sock
        self._wait_ready(data / "postmaster.pid", log)

    def _wait_ready(self, pidfile: Path, log: Path) -> None:
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerError(f"PostgreSQL {self.version} exited at start: {_last_line(log)}")
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                # postmaster.pid's 8th line is the status; "ready" once it accepts connections.
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            time.sleep(0.005)
        raise ServerError(
            f"PostgreSQL {self.version} did not start within {STARTUP_TIMEOUT:.0f} s: "
            f"{_last_line(log)}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # SIGINT is Postgres's "fast" shutdown: roll back, disconnect, stop.
            for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._socket_dir = None


def _copy_cluster(template: Path, data: Path) -> None:
    """Copy the cached cluster (about a thousand files): cp does it in half the time
    shutil takes (measured 0.06 s against 0.12 s), in its own process."""
    cp = shutil.which("cp")
    if cp is not None:
        result = subprocess.run(
            [cp, "-RpP", str(template), str(data)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return
        shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data, symlinks=True)


def _last_line(log: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "(no server log)"
