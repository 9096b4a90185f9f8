"""`pgfence dryrun` as a user runs it: exit codes, output, and cleaning up after itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import PGFENCE
from tests.support import pgfence as run

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_runtime() -> Iterator[dict[str, str]]:
    """Servers of this test's pgfence in a directory of its own: other runs cannot interfere.

    It must be reachable by the unprivileged user the server runs as (pytest's tmp_path is
    private to root), so it is made world-traversable, like /tmp itself.
    """
    runtime = Path(tempfile.mkdtemp(prefix="pgfence-test-runtime-"))
    runtime.chmod(0o755)
    yield dict(os.environ, PGFENCE_TMPDIR=str(runtime))
    shutil.rmtree(runtime, ignore_errors=True)


def server_dirs(env: dict[str, str]) -> set[str]:
    place = Path(env["PGFENCE_TMPDIR"])
    return {p.name for p in place.glob("pgfence-*") if (p / "owner.pid").exists()}


def postgres_processes_of(directories: set[str]) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [
        line
        for line in out.splitlines()
        if line.startswith(("postgres", "/")) and any(d in line for d in directories)
    ]


def test_dryrun_prints_the_table_and_writes_json_from_one_run(tmp_path):
    out = tmp_path / "report.json"
    result = run(
        "dryrun",
        "--schema",
        str(REPO / "scenarios/demo/schema.sql"),
        "--output",
        f"json={out}",
        str(REPO / "scenarios/demo/migration.sql"),
    )
    assert result.returncode == 1, result.stderr  # the demo migration is risky
    assert "pgfence dryrun · PostgreSQL 18" in result.stdout
    assert "observed locks" in result.stdout and "confirmed" in result.stdout
    data = json.loads(out.read_text())
    assert data["command"] == "dryrun"
    assert data["server"]["backend"] == "embedded" and data["server"]["major"] == 18
    first = data["statements"][0]
    assert first["observed"]["rewritten"]
    taken = {(lock["relation"], lock["mode"]) for lock in first["observed"]["locks"]}
    assert ("public.accounts", "AccessExclusiveLock") in taken
    assert first["verdict"]["kind"] == "confirmed"
    assert data["summary"]["verdicts"] == {"confirmed": 4}


def test_a_missing_schema_file_fails_before_any_server_starts(tmp_path, private_runtime):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    env = private_runtime
    result = run("dryrun", "--schema", str(tmp_path / "nope.sql"), str(migration), env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pgfence: error: {tmp_path / 'nope.sql'}: no such file or directory"
    ]
    assert list(Path(env["PGFENCE_TMPDIR"]).iterdir()) == []


def test_a_missing_migration_fails_before_any_server_starts(tmp_path, private_runtime):
    env = private_runtime
    # -v would report the server as soon as one is chosen.
    result = run("dryrun", "-v", str(tmp_path / "0042_x.sql"), env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pgfence: error: {tmp_path / '0042_x.sql'}: no such file or directory"
    ]
    assert list(Path(env["PGFENCE_TMPDIR"]).iterdir()) == []


@pytest.mark.parametrize("option", ["--statement-timeout", "--lock-timeout"])
def test_a_timeout_of_zero_is_refused(tmp_path, option):
    """In Postgres 0 switches a timeout off; a dry-run must never wait without end."""
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    result = run("dryrun", option, "0", str(migration))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pgfence: error: {option} '0': a timeout must be longer than 0"
    ]


def test_an_unreachable_dsn_is_exit_3_without_the_password(tmp_path):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    result = run("dryrun", "--dsn", "postgresql://app:s3cret@127.0.0.1:1/app", str(migration))
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cret" not in result.stderr and "cannot reach" in result.stderr


def test_options_that_contradict_each_other_are_a_usage_error(tmp_path):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    result = run(
        "dryrun",
        "--dsn",
        "postgresql://x@127.0.0.1:1/x",
        "--schema",
        str(migration),
        str(migration),
    )
    assert result.returncode == 2 and "--dsn" in result.stderr
    result = run("dryrun", "--statement-timeout", "soon", str(migration))
    assert result.returncode == 2 and "--statement-timeout" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_dryrun_leaves_no_server_and_no_files(tmp_path, private_runtime, sig):
    migration = tmp_path / "slow.sql"
    migration.write_text("SELECT pg_sleep(60);\n")
    env = private_runtime
    process = subprocess.Popen(
        [*PGFENCE, "dryrun", str(migration)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    new: set[str] = set()
    while time.monotonic() < deadline and not new:
        time.sleep(0.1)
        new = server_dirs(env)
    assert new, "the server never started"
    time.sleep(1.0)  # let it reach the statement
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in (130, 143, -sig), stderr
    assert "Traceback" not in stderr
    assert server_dirs(env) == set()
    assert postgres_processes_of(new) == []


def test_verify_runs_named_scenarios():
    result = run("verify", "add-check", "create-index")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok       add-check" in result.stdout and "all scenarios agree" in result.stdout
    unknown = run("verify", "no-such-scenario")
    assert unknown.returncode == 2 and "no such scenario" in unknown.stderr


def test_the_service_user_runs_postgres_when_we_are_root(pg):
    if os.geteuid() != 0:
        pytest.skip("only meaningful as root")
    status = Path(f"/proc/{pg.pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0


def test_a_server_place_its_user_cannot_enter_is_one_clear_error(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only meaningful as root: the server then runs as another user")
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    private = tmp_path / "private"
    private.mkdir()
    env = dict(os.environ, PGFENCE_TMPDIR=str(private))
    result = run("dryrun", str(migration), env=env)
    assert result.returncode == 3
    assert "PGFENCE_TMPDIR" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_output_path_that_cannot_be_written_fails_before_the_dry_run(tmp_path):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "reports" / "report.html"  # missing folders below a file
    result = run("dryrun", "-v", "-o", f"html={target}", str(migration))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pgfence: error: --output 'html={target}': cannot write {target}: "
        f"{tmp_path / 'a-file'} is not a directory"
    ]
