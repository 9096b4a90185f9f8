"""`pgfence servers list | install`: servers from the npm registry, with contrib, used by
the dry-run when the embedded one lacks an extension."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support import pgfence


def test_servers_list_names_the_embedded_server_and_what_is_missing():
    result = pgfence("servers", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["major", "version", "from", "contrib", "binaries"]
    embedded = next(line for line in lines if " embedded " in line)
    assert embedded.split()[0] == "18" and embedded.split()[3] == "no"  # no pgcrypto
    assert any(line.startswith("Docker: ") for line in lines)


def test_installing_an_unsupported_major_is_a_usage_error():
    result = pgfence("servers", "install", "12")
    assert result.returncode == 2
    assert result.stderr.strip() == "pgfence: error: PostgreSQL 12: pgfence predicts for 14 to 18"


@pytest.mark.registry
@pytest.mark.postgres
def test_an_installed_server_with_contrib_runs_what_the_embedded_one_cannot(tmp_path):
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("no Node.js here")
    # A HOME of its own, readable by the user servers run as when we are root.
    home = Path(tempfile.mkdtemp(prefix="pgfence-test-home-"))
    try:
        os.chmod(home, 0o755)
        env = {**os.environ, "HOME": str(home)}
        env.pop("XDG_CACHE_HOME", None)
        env.pop("PGFENCE_CACHE_DIR", None)
        installed = pgfence("servers", "install", "18", env=env, timeout=600)
        assert installed.returncode == 0, installed.stderr
        assert installed.stdout.startswith("PostgreSQL 18.")
        listed = pgfence("servers", "list", env=env)
        row = next(line for line in listed.stdout.splitlines() if " installed " in line)
        assert row.split()[0] == "18" and row.split()[3] == "yes"

        migration = tmp_path / "0001.sql"
        migration.write_text(
            'CREATE EXTENSION IF NOT EXISTS "pgcrypto";\nSELECT gen_random_bytes(4);\n'
        )
        ran = pgfence("dryrun", str(migration), "-v", env=env)
        assert ran.returncode == 0, ran.stderr
        assert "(embedded) lacks pgcrypto: running on" in ran.stderr
        assert f"{home}/.cache/pgfence/servers/18/bin" in ran.stderr
    finally:
        shutil.rmtree(home, ignore_errors=True)
