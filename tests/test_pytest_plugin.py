"""The pytest plugin, as a user's project uses it: a separate pytest run in a project
that has pgfence installed (the entry point registers the `pgfence` fixture)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import MAJORS

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
INSERT INTO accounts SELECT g, 'u' || g FROM generate_series(1, 100) g;
"""


def project(tmp_path: Path, migration: str, tests: str, pyproject: str = "") -> Path:
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "schema.sql").write_text(SCHEMA)
    (tmp_path / "db" / "migrations" / "0001_x.sql").write_text(migration)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.pgfence]\npaths = ["db/migrations"]\n'
        'schema = "db/schema.sql"\n' + pyproject
    )
    (tmp_path / "test_migrations.py").write_text(textwrap.dedent(tests))
    return tmp_path


def pytest_in(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


TESTS = """
import pytest

def test_migrations_are_safe(pgfence):
    report = pgfence.check()
    assert report.command == "dryrun"

@pytest.mark.pgfence(fail_on="critical")
def test_only_critical_fails(pgfence):
    report = pgfence.check()
    assert report.statements[0].verdict.kind.value == "confirmed"

def test_analyze_without_a_server(pgfence):
    report = pgfence.analyze()
    assert report.server is None and report.failed
"""


def test_a_risky_migration_fails_the_users_test_with_the_finding_and_its_recipe(tmp_path):
    root = project(tmp_path, "CREATE INDEX accounts_email_idx ON accounts (email);\n", TESTS)
    done = pytest_in(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 2 passed" in done.stdout
    assert "FAILED test_migrations.py::test_migrations_are_safe" in done.stdout
    assert "db/migrations/0001_x.sql:1:1  high  create-index-blocks-writes" in done.stdout
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx" in done.stdout


def test_a_safe_migration_passes(tmp_path):
    other = min(MAJORS)  # another major than the default 18, when the machine has one
    tests = f"""
    import pytest

    def test_migrations_are_safe(pgfence):
        report = pgfence.check()
        assert [s.verdict.kind.value for s in report.statements] == ["confirmed"]

    def test_a_second_dry_run_shares_the_server(pgfence, pgfence_server):
        first = pgfence.check().server
        assert pgfence.check().server == first
        assert len(pgfence_server._servers) == 1

    @pytest.mark.pgfence(pg={other})
    def test_another_version_gets_its_own_server(pgfence, pgfence_server):
        assert pgfence.check().server.major == {other}
        assert len(pgfence_server._servers) == {1 if other == 18 else 2}

    @pytest.mark.pgfence(backend="embedded", statement_timeout="10s")
    def test_analyze_leaves_out_dry_run_options(pgfence):
        assert pgfence.check(dynamic=False).server is None
    """
    root = project(tmp_path, "ALTER TABLE accounts ADD COLUMN note text;\n", tests)
    done = pytest_in(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_project_configuration_applies(tmp_path):
    tests = """
    def test_migrations_are_safe(pgfence):
        pgfence.check()
    """
    root = project(
        tmp_path,
        "CREATE INDEX accounts_email_idx ON accounts (email);\n",
        tests,
        pyproject='disable = ["create-index-blocks-writes"]\n',
    )
    done = pytest_in(root)
    assert done.returncode == 0, done.stdout + done.stderr


FROM_A_SUBDIRECTORY = """
import pytest

def test_configured_paths(pgfence):
    pgfence.check(dynamic=False)

@pytest.mark.pgfence("db/migrations", schema="db/schema.sql")
def test_marker_paths_dry_run(pgfence):
    pgfence.check()

@pytest.mark.pgfence("db/nope")
def test_a_missing_path(pgfence):
    pgfence.check(dynamic=False)

def test_a_wrong_option(pgfence):
    pgfence.analyze(fail_on="bogus")
"""


def test_paths_are_relative_to_the_rootdir_and_errors_are_one_line(tmp_path):
    """pytest started in tests/ of the project: the marker's paths are read from the
    rootdir, findings name files from it, and pgfence's errors fail the test with their
    one line instead of a traceback into pgfence."""
    root = project(tmp_path, "CREATE INDEX accounts_email_idx ON accounts (email);\n", "")
    (root / "test_migrations.py").unlink()
    (root / "tests").mkdir()
    (root / "tests" / "test_db.py").write_text(FROM_A_SUBDIRECTORY)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root / "tests",
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "4 failed" in out
    assert str(tmp_path) not in out  # no absolute path anywhere
    blocks = dict(re.findall(r"_{3,} (test_\w+) _{3,}\n(.*?)(?=\n_{3,} |\n=+ short)", out, re.S))
    # Counted in the failure blocks only: the short summary repeats a failure's message,
    # cut to the terminal's width, except where CI is set (pytest then prints it whole).
    finding = "db/migrations/0001_x.sql:1:1  high  create-index-blocks-writes"
    assert [name for name, text in blocks.items() if finding in text] == [
        "test_configured_paths",
        "test_marker_paths_dry_run",
    ]
    assert blocks["test_a_missing_path"] == "pgfence: error: db/nope: no such file or directory"
    assert blocks["test_a_wrong_option"] == (
        "pgfence: error: fail_on: unknown severity 'bogus' "
        "(one of: info, low, medium, high, critical)"
    )
    assert "Traceback" not in out and "pgfence/" not in out.replace("pgfence/pytest", "")
