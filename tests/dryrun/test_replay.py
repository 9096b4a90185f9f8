"""--schema-from: pg_dump of a live server, with no secret on its command line."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pgfence.dryrun import replay
from pgfence.errors import UsageError
from tests.support import database_with, pgfence

pytestmark = pytest.mark.postgres

PASSWORD = "hunter2:with\\odd chars"
KEY_PASSWORD = "keypass-42"


class PgDumpWatcher:
    """Reads every pg_dump process's command line and environment, and the files its
    environment names, while it runs (as any user of the machine could read its argv)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (argv, environment), NUL-separated
        self.files: dict[str, int] = {}  # PGPASSFILE / PGSERVICEFILE -> permission bits
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def __enter__(self) -> PgDumpWatcher:
        self._running.set()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._running.clear()
        self._thread.join()

    def _watch(self) -> None:
        while self._running.is_set():
            for proc in Path("/proc").iterdir():
                if proc.name.isdigit():
                    self._read(proc)
            time.sleep(0.02)

    def _read(self, proc: Path) -> None:
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace")
            args = argv.split("\0")
            if os.path.basename(args[0]) != "pg_dump" or "--schema-only" not in args:
                return  # not pg_dump, or pgfence asking its --version
            environ = (proc / "environ").read_bytes().decode(errors="replace")
        except OSError:
            return  # gone meanwhile
        self.seen.append((argv, environ))
        for entry in environ.split("\0"):
            name, _, value = entry.partition("=")
            if name in ("PGPASSFILE", "PGSERVICEFILE"):
                with contextlib.suppress(OSError):  # removed meanwhile
                    self.files[value] = stat.S_IMODE(os.stat(value).st_mode)


@pytest.fixture
def source(pg, database_name):
    return database_with(
        pg, database_name + "_source", "CREATE TABLE accounts (id int);", superuser=True
    )


def test_pg_dump_behind_a_locked_table_gives_up_with_its_own_error_and_no_secret_in_argv(
    source, tmp_path
):
    """pg_dump waits for the lock (--lock-wait-timeout), long enough to be watched: its
    command line and environment hold neither password, and its reason is shown."""
    dsn = make_conninfo(source, password=PASSWORD, sslpassword=KEY_PASSWORD)
    (tmp_path / "0001.sql").write_text("SELECT 1;\n")
    with psycopg.connect(source) as holder, PgDumpWatcher() as watcher:
        holder.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = pgfence("dryrun", "--schema-from", dsn, "0001.sql", cwd=tmp_path, timeout=120)
        elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "pg_dump of --schema-from failed: query failed: ERROR: canceling statement" in line
    assert "LOCK TABLE public.accounts IN ACCESS SHARE MODE" in line
    assert elapsed < 30
    assert watcher.seen, "pg_dump was seen while it waited"
    for argv, environ in watcher.seen:
        for secret in (PASSWORD, KEY_PASSWORD, "hunter2", "keypass"):
            assert secret not in argv
            assert secret not in environ
        assert "--lock-wait-timeout=2s" in argv.split("\0")
    assert set(watcher.files.values()) == {0o600} and len(watcher.files) == 2
    assert not any(Path(path).exists() for path in watcher.files)  # removed afterwards
    for secret in (PASSWORD, KEY_PASSWORD, "hunter2", "keypass"):
        assert secret not in result.stderr + result.stdout


@pytest.fixture
def password_role(source):
    """A role the server asks a password of (scram-sha-256 in pg_hba.conf, for it alone;
    the throwaway server trusts everyone else on its socket)."""
    role, password = "pgfence_dump_reader", "hunter2:x\\y z"
    with psycopg.connect(source, autocommit=True) as admin:
        admin.execute("SET password_encryption = 'scram-sha-256'")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        admin.execute(f"GRANT SELECT ON accounts TO {role}")
        [hba] = admin.execute("SHOW hba_file").fetchone()
        original = Path(hba).read_text()
        Path(hba).write_text(f"local all {role} scram-sha-256\n" + original)
        admin.execute("SELECT pg_reload_conf()")
    try:
        yield make_conninfo(source, user=role), password
    finally:
        with psycopg.connect(source, autocommit=True) as admin:
            Path(hba).write_text(original)
            admin.execute("SELECT pg_reload_conf()")
            admin.execute(f"REVOKE ALL ON accounts FROM {role}")
            admin.execute(f"DROP ROLE {role}")


def test_pg_dump_authenticates_with_the_password_it_gets_in_a_passfile(pg, password_role):
    dsn, password = password_role
    path = replay.dump_schema(make_conninfo(dsn, password=password), [str(pg.bin_dir)])
    try:
        assert "CREATE TABLE public.accounts" in Path(path).read_text()
    finally:
        os.unlink(path)


def test_a_wrong_password_is_exit_3_with_the_servers_reason_and_no_password(
    password_role, tmp_path
):
    dsn, _ = password_role
    (tmp_path / "0001.sql").write_text("SELECT 1;\n")
    wrong = make_conninfo(dsn, password="not-hunter2")
    result = pgfence("dryrun", "--schema-from", wrong, "0001.sql", cwd=tmp_path, timeout=60)
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "password authentication failed" in line
    assert "not-hunter2" not in line


def test_the_passfile_escapes_what_its_format_would_split(tmp_path):
    conninfo, env = replay.pg_dump_connection(
        {"host": "db", "user": "app", "password": "a:b\\c", "passfile": "/home/app/.pgpass"},
        tmp_path,
    )
    assert "password" not in conninfo and "passfile" not in conninfo and "a:b" not in conninfo
    assert Path(env["PGPASSFILE"]).read_text() == "*:*:*:*:a\\:b\\\\c\n"
    assert stat.S_IMODE(os.stat(env["PGPASSFILE"]).st_mode) == 0o600
    assert "PGPASSWORD" not in env


def test_a_secret_other_than_the_password_goes_in_a_service_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PGSERVICE", raising=False)
    conninfo, env = replay.pg_dump_connection(
        {"host": "db", "sslpassword": "keypass", "sslkey": "/k.pem"}, tmp_path
    )
    assert "keypass" not in conninfo and "service=pgfence" in conninfo and "/k.pem" in conninfo
    assert Path(env["PGSERVICEFILE"]).read_text() == "[pgfence]\nsslpassword=keypass\n"
    with pytest.raises(UsageError, match="service file"):
        replay.pg_dump_connection({"service": "prod", "sslpassword": "keypass"}, tmp_path)


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        (
            "pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout\n"
            "pg_dump: detail: Query was: LOCK TABLE public.accounts IN ACCESS SHARE MODE\n",
            "query failed: ERROR: canceling statement due to statement timeout (query: LOCK "
            "TABLE public.accounts IN ACCESS SHARE MODE); pg_dump waits at most 2s for a "
            "table's lock: it is locked by another session, try again when that one is done",
        ),
        (
            "pg_dump: warning: something\npg_dump: error: aborting because of server version "
            "mismatch\npg_dump: detail: server version: 19.0; pg_dump version: 18.1\n",
            "aborting because of server version mismatch",
        ),
        (
            "pg_dump: error: query failed: ERROR:  permission denied for table accounts\n"
            "pg_dump: detail: Query was: LOCK TABLE public.accounts IN ACCESS SHARE MODE\n",
            "query failed: ERROR: permission denied for table accounts (query: LOCK TABLE "
            "public.accounts IN ACCESS SHARE MODE)",
        ),
        ("", ""),
    ],
)
def test_pg_dumps_reason_is_its_first_error_line(stderr, reason):
    assert replay.pg_dump_error(stderr) == reason
