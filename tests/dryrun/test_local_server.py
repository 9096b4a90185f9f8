"""Local servers' file handling that needs no server: what is left behind on a failure."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile

import pytest

from pgfence.dryrun.servers import local
from pgfence.errors import ServerError


def test_a_failed_copy_of_the_binaries_leaves_no_staging_directory(tmp_path, monkeypatch):
    install = tmp_path / "wheel" / "postgresql"
    (install / "bin").mkdir(parents=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(local, "_runs_as", lambda *_: False)

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copytree", disk_full)
    with pytest.raises(ServerError, match="no space left"):
        local.reachable_install(install / "bin", pwd.getpwuid(os.getuid()), "18.0")
    assert list(scratch.iterdir()) == []


def _clusters(root, ages_days):
    """Fake cached clusters under root, last used `age` days ago each."""
    import time

    paths = []
    for n, age in enumerate(ages_days):
        path = root / f"pg17.1-{n:012x}"
        path.mkdir(parents=True)
        (path / "PG_VERSION").write_text("17\n")
        used = time.time() - age * 86400
        os.utime(path, (used, used))
        paths.append(path)
    return paths


def test_cached_clusters_unused_for_a_month_or_beyond_the_newest_eight_are_pruned(tmp_path):
    ages = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 40.0]
    *recent, old = _clusters(tmp_path / "clusters", ages)
    local.prune_clusters(keep=recent[-1])
    left = sorted(p.name for p in (tmp_path / "clusters").iterdir())
    # The eight most recently used stay, and the one just made (the least recent here).
    assert left == sorted(p.name for p in [*recent[:8], recent[-1]])
    assert not old.exists()


@pytest.mark.postgres
def test_starting_a_server_with_a_new_install_prunes_the_cache(tmp_path, monkeypatch):
    """A new install (a new virtualenv) makes a cluster of its own; an old one goes."""
    from pgfence.dryrun.servers.embedded import embedded_server

    monkeypatch.setenv("PGFENCE_CACHE_DIR", str(tmp_path / "cache"))
    [stale] = _clusters(tmp_path / "cache" / "clusters", [45.0])
    with embedded_server() as server:
        import psycopg

        with psycopg.connect(server.dsn()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    left = list((tmp_path / "cache" / "clusters").iterdir())
    assert not stale.exists()
    assert len(left) == 1 and (left[0] / "PG_VERSION").exists()
