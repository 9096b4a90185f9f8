"""A throwaway dry-run runs someone else's migration (a pull request's): what it cannot do.

The server starts with an environment of its own, and migrations run as a role that owns
its database but is no superuser.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pgfence.dryrun.servers import roles
from pgfence.dryrun.servers.embedded import embedded_server
from tests.support import pgfence

pytestmark = pytest.mark.postgres

SECRET = "s3cr3t-token-that-must-not-leak"


@pytest.fixture
def secret_env(monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("PGFENCE_TEST_SECRET", SECRET)
    return {**os.environ, "PGFENCE_TEST_SECRET": SECRET}


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def test_the_server_process_has_none_of_pgfences_environment(secret_env):
    with embedded_server() as server:
        assert server.pid is not None
        environ = _environ(server.pid)
    assert SECRET not in "".join(f"{k}={v}" for k, v in environ.items())
    assert "PGFENCE_TEST_SECRET" not in environ
    assert environ["LC_ALL"] == "C" and environ["TZ"] == "UTC"
    assert set(environ) <= {"PATH", "LANG", "LC_ALL", "TZ", "PGTZ", "PGLOCALEDIR", "PGSYSCONFDIR"}


def test_migrations_connect_as_a_role_that_owns_its_database_and_is_no_superuser(pg):
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_user, r.rolsuper, r.rolcreatedb,"
            " pg_get_userbyid(d.datdba), pg_has_role('pg_database_owner', 'USAGE'),"
            " pg_has_role('pg_execute_server_program', 'USAGE'),"
            " pg_has_role('pg_read_server_files', 'USAGE'),"
            " pg_has_role('pg_write_server_files', 'USAGE')"
            " FROM pg_roles r, pg_database d"
            " WHERE r.rolname = current_user AND d.datname = current_database()"
        ).fetchone()
    assert row == (
        roles.MIGRATION_ROLE,
        False,
        True,
        roles.MIGRATION_ROLE,
        True,
        False,
        False,
        False,
    )
    with psycopg.connect(pg.dsn(superuser=True), autocommit=True) as conn:
        assert conn.execute("SELECT current_setting('is_superuser')").fetchone() == ("on",)


ATTACKS = {
    "program.sql": "COPY (SELECT 1) TO PROGRAM 'touch {marker}';\n",
    "from_program.sql": "CREATE TABLE leak (line text);\nCOPY leak FROM PROGRAM 'env';\n",
    "environ.sql": "SELECT pg_read_file('/proc/self/environ');\n",
    # The postmaster's environment is pgfence's when it is not given one of its own.
    "postmaster_environ.sql": (
        "SELECT pg_read_binary_file('/proc/' || split_part(pg_read_file('postmaster.pid'),"
        " E'\\n', 1) || '/environ');\n"
    ),
    "server_file.sql": "CREATE TABLE f (line text);\nCOPY f FROM '/proc/self/environ';\n",
    "alter_system.sql": "ALTER SYSTEM SET work_mem = '1GB';\n",
    "superuser.sql": "CREATE ROLE intruder SUPERUSER LOGIN;\n",
    "untrusted_language.sql": (
        "CREATE FUNCTION sh() RETURNS int LANGUAGE c AS '/bin/sh', 'main';\n"
    ),
}


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory anyone may write to (the server runs as another user when we are root),
    so that a program the server ran could leave its mark."""
    directory = Path(tempfile.mkdtemp(prefix="pgfence-test-open-"))
    directory.chmod(0o1777)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_a_pull_requests_migration_cannot_run_programs_read_files_or_become_superuser(
    tmp_path, secret_env, open_dir
):
    marker = open_dir / "touched"
    for name, text in ATTACKS.items():
        (tmp_path / name).write_text(text.format(marker=marker))
    result = pgfence("dryrun", *sorted(ATTACKS), "--format", "json", cwd=tmp_path, env=secret_env)
    assert result.returncode == 1, result.stderr
    assert SECRET not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    errors = {
        Path(s["file"]).name: s["observed"]["error"]
        for s in report["statements"]
        if s["observed"] and s["observed"]["error"]
    }
    assert set(errors) == set(ATTACKS)
    assert {e["sqlstate"] for e in errors.values()} == {"42501"}  # insufficient_privilege
    assert not marker.exists()


def test_an_untrusted_extension_a_migration_creates_is_created_by_the_superuser(tmp_path):
    """The one thing the migration's role may not do that migrations ordinarily do."""
    path = tmp_path / "0001_fdw.sql"
    path.write_text(
        "CREATE EXTENSION IF NOT EXISTS postgres_fdw;\n"
        "CREATE SERVER other FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'x');\n"
        "CREATE ROLE pgfence_attacker SUPERUSER;\n"
    )
    result = pgfence("dryrun", str(path), "--format", "json")
    report = json.loads(result.stdout)
    extension, server, role = (s["observed"] for s in report["statements"])
    assert extension["ran"] and extension["error"] is None
    assert server["ran"] and server["error"] is None  # the role may use its wrapper
    assert role["error"]["sqlstate"] == "42501"  # no other statement goes through the superuser
