"""Local servers' file handling that needs no server: what is left behind on a failure."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile

import pytest

from pgfence.dryrun.servers import local


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
    with pytest.raises(OSError, match="No space left"):
        local.reachable_install(install / "bin", pwd.getpwuid(os.getuid()), "18.0")
    assert list(scratch.iterdir()) == []
