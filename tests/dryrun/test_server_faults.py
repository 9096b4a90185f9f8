"""What goes wrong around a throwaway server, as a user meets it: `pgfence dryrun` in a
process of its own. Each fault is one line on stderr, exit 3 (2 for bad usage), no
traceback, and nothing left in the temporary directories."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support import PGFENCE, pgfence

pytestmark = pytest.mark.postgres

ROOT = os.geteuid() == 0
MIGRATION = "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN n int;\n"


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A PGFENCE_TMPDIR of the test's own, which the server's user can enter (tmp_path,
    under a private directory, it could not)."""
    directory = Path(tempfile.mkdtemp(prefix="pgfence-test-rt-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m.sql").write_text(MIGRATION)
    return tmp_path


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "bug in pgfence" not in result.stderr
    assert lines[0].startswith("pgfence: error: ")
    for word in words:
        assert word in lines[0]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def small_tmpfs(size: str) -> Iterator[Path]:
    if not ROOT:
        pytest.skip("mounting a tmpfs needs root")
    directory = Path(tempfile.mkdtemp(prefix="pgfence-test-full-"))
    if not _mount("-t", "tmpfs", "-o", f"size={size},mode=755", "tmpfs", str(directory)):
        directory.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


# ---- disk and directories --------------------------------------------------------------------


def test_a_full_disk_for_the_servers_files_is_one_line_and_leaves_nothing(project):
    with small_tmpfs("4m") as full:
        result = pgfence("dryrun", "m.sql", cwd=project, env=_env(PGFENCE_TMPDIR=str(full)))
        assert_one_line_error(result, 3, str(full), "no space left")
        assert list(full.iterdir()) == []


def test_a_full_disk_for_the_cache_is_one_line_and_leaves_nothing(project, runtime):
    with small_tmpfs("2m") as full:
        env = _env(PGFENCE_TMPDIR=str(runtime), PGFENCE_CACHE_DIR=str(full / "cache"))
        result = pgfence("dryrun", "m.sql", cwd=project, env=env)
        assert_one_line_error(result, 3, "no space left")
        assert list((full / "cache" / "clusters").iterdir()) == []
    assert list(runtime.iterdir()) == []


def test_writing_the_report_to_a_full_device_is_one_line(project, runtime):
    result = pgfence(
        "dryrun", "m.sql", "--output", "json=/dev/full", cwd=project,
        env=_env(PGFENCE_TMPDIR=str(runtime)),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert list(runtime.iterdir()) == []


def test_a_read_only_pgfence_tmpdir_is_refused_in_one_line(project, runtime):
    if not ROOT or not _mount("--bind", "-o", "ro", str(runtime), str(runtime)):
        pytest.skip("a read-only bind mount needs root")
    try:
        result = pgfence("dryrun", "m.sql", cwd=project, env=_env(PGFENCE_TMPDIR=str(runtime)))
    finally:
        subprocess.run(["umount", str(runtime)], check=False)
    assert_one_line_error(result, 3, "PGFENCE_TMPDIR", "not writable")
    assert list(runtime.iterdir()) == []


def test_an_xdg_cache_home_that_is_a_file_is_refused_in_one_line(project, runtime):
    (project / "not-a-dir").write_text("x")
    env = _env(
        PGFENCE_TMPDIR=str(runtime),
        PGFENCE_CACHE_DIR=None,
        XDG_CACHE_HOME=str(project / "not-a-dir"),
    )
    result = pgfence("dryrun", "m.sql", cwd=project, env=env)
    assert_one_line_error(result, 3, "cache directory", "not-a-dir")
    assert list(runtime.iterdir()) == []


def test_without_home_the_dry_run_still_runs(project, runtime):
    env = _env(PGFENCE_TMPDIR=str(runtime), HOME=None, XDG_CACHE_HOME=None)
    result = pgfence("dryrun", "m.sql", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert list(runtime.iterdir()) == []


def test_with_an_unwritable_tmpdir_the_dry_run_still_runs(project, runtime):
    result = pgfence(
        "dryrun", "m.sql", cwd=project, env=_env(PGFENCE_TMPDIR=str(runtime), TMPDIR="/proc")
    )
    assert result.returncode == 0, result.stderr
    assert list(runtime.iterdir()) == []


def test_with_no_writable_temporary_directory_at_all_it_says_so_in_one_line(project):
    """TMPDIR, /tmp, /var/tmp, /dev/shm and the working directory all read-only (a
    mount namespace of the test's own)."""
    if not ROOT or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare")
    python = " ".join(PGFENCE)
    script = (
        "set -e; for d in /tmp /var/tmp /dev/shm; do mount --bind -o ro $d $d; done; "
        f"cd {project}; "
        f"TMPDIR={project} exec {python} dryrun m.sql"
    )
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(PGFENCE_TMPDIR=None, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    assert_one_line_error(result, 3, "no writable temporary directory")


def _as_uid_without_passwd_entry(project: Path, runtime: Path) -> subprocess.CompletedProcess:
    # The test's interpreter may live in a private home: the system's python3 (same
    # version) runs pgfence from this worktree and the environment's packages.
    python = shutil.which("python3", path="/usr/bin")
    if not ROOT or python is None or shutil.which("setpriv") is None:
        pytest.skip("needs root, setpriv and /usr/bin/python3")
    check = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                           capture_output=True, text=True)  # fmt: skip
    if check.stdout.strip() != str(sys.version_info[:2]):
        pytest.skip("/usr/bin/python3 is not this Python version")
    path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    shutil.copy(project / "m.sql", runtime / "m.sql")
    runtime.chmod(0o1777)
    return subprocess.run(
        ["setpriv", "--reuid", "54321", "--regid", "54321", "--clear-groups",
         python, "-m", "pgfence.cli", "dryrun", "m.sql"],
        capture_output=True, text=True, timeout=120, cwd=runtime,
        env=_env(HOME=None, XDG_CACHE_HOME=None, PGFENCE_CACHE_DIR=None,
                 PGFENCE_TMPDIR=str(runtime), TMPDIR=str(runtime), PYTHONPATH=path),
    )  # fmt: skip


def test_a_uid_without_a_passwd_entry_gets_one_line_saying_why(project, runtime):
    result = _as_uid_without_passwd_entry(project, runtime)
    assert_one_line_error(result, 3, "passwd entry", "54321")
    left = sorted(p.name for p in runtime.iterdir())
    assert left == ["m.sql", "pgfence-cache-54321"]  # the (empty) cache, nothing else
    assert list((runtime / "pgfence-cache-54321" / "clusters").iterdir()) == []


# ---- the server going away ----------------------------------------------------------------


def _start_sleeping_run(project: Path, runtime: Path) -> tuple[subprocess.Popen[str], Path]:
    (project / "sleep.sql").write_text("CREATE TABLE t (id int);\nSELECT pg_sleep(5);\n")
    process = subprocess.Popen(
        [*PGFENCE, "dryrun", "sleep.sql"],
        cwd=project,
        env=_env(PGFENCE_TMPDIR=str(runtime)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for server in runtime.glob("pgfence-*"):
            sock = server / "sock"
            with contextlib.suppress(psycopg.Error):
                dsn = f"host={sock} port=5432 user=postgres dbname=postgres"
                with psycopg.connect(dsn, autocommit=True) as conn:
                    running = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
                        " AND application_name = 'pgfence migration'"
                    ).fetchone()
                if running == (1,):
                    return process, server
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the migration never started")


def _shared_memory_segments() -> set[str]:
    return {p.name for p in Path("/dev/shm").glob("PostgreSQL.*")}


def test_the_server_killed_during_a_statement_is_one_line_exit_3(project, runtime):
    process, server = _start_sleeping_run(project, runtime)
    segments = _shared_memory_segments()
    postmaster = int((server / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert_one_line_error(result, 3, "connection to the server was lost")
    assert list(runtime.iterdir()) == []
    # Its dynamic shared memory was in its data directory, gone with it.
    assert _shared_memory_segments() <= segments


def test_the_probe_session_ended_from_outside_is_one_line_exit_3(project, runtime):
    process, server = _start_sleeping_run(project, runtime)
    dsn = f"host={server / 'sock'} port=5432 user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        ended = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'pgfence probe'"
        ).fetchall()
    assert ended == [(True,)]
    _, stderr = process.communicate(timeout=60)
    result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert_one_line_error(result, 3, "administrator command")
    assert list(runtime.iterdir()) == []


def test_a_killed_pgfence_leaves_directories_that_the_next_run_removes(project, runtime):
    process, server = _start_sleeping_run(project, runtime)
    process.kill()  # kill -9: no clean-up of its own
    process.communicate(timeout=30)
    assert server.exists()
    stale_initdb = runtime / f"pgfence-initdb-{process.pid}-x"
    stale_initdb.mkdir(mode=0o700)
    (stale_initdb / "owner.pid").write_text(str(process.pid))
    result = pgfence("dryrun", "m.sql", cwd=project, env=_env(PGFENCE_TMPDIR=str(runtime)))
    assert result.returncode == 0, result.stderr
    assert list(runtime.iterdir()) == []


# ---- bad connection strings --------------------------------------------------------------


@pytest.mark.parametrize(
    "dsn",
    ["host=/nonexistent connect_timeout=abc", "postgresql://u@localhost:1/db?connect_timeout=x"],
)
def test_a_connect_timeout_that_is_no_number_is_a_usage_error(project, dsn):
    result = pgfence("dryrun", "--dsn", dsn, "m.sql", cwd=project)
    assert_one_line_error(result, 2, "connect_timeout")
