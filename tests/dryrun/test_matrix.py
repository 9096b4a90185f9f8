"""--pg 14,15,16,17,18: one migration on several versions, and where they differ."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pgfence.dryrun.matrix import run_matrix
from pgfence.dryrun.runner import DryRunOptions
from pgfence.dryrun.servers import ServerChoice
from pgfence.sources import load_migrations
from tests.conftest import MAJORS
from tests.support import database_with

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
GRANT = REPO / "scenarios" / "grant"


def older_and_18() -> list[int]:
    if 18 not in MAJORS or len(MAJORS) < 2:
        pytest.skip("needs PostgreSQL 18 and an older major")
    return [min(MAJORS), 18]


def test_a_version_difference_is_found_and_said_in_plain_words():
    majors = older_and_18()
    migrations = load_migrations([str(GRANT / "migration.sql")])
    matrix = run_matrix(
        [ServerChoice(pg=m) for m in majors],
        migrations,
        DryRunOptions(schema_file=str(GRANT / "schema.sql")),
    )
    assert [r.pg_version for r in matrix.reports] == majors
    [difference] = matrix.differences
    by_version = dict(difference.by_version)
    assert by_version[18] == "accounts AccessShare"  # PG 18 locks the table for GRANT …
    assert by_version[majors[0]] == "no locks"  # … older versions do not
    assert difference.location.line == 1


def test_the_cli_prints_the_matrix_as_json():
    majors = older_and_18()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgfence.cli",
            "dryrun",
            "--pg",
            ",".join(map(str, majors)),
            "--format",
            "json",
            "--schema",
            str(GRANT / "schema.sql"),
            str(GRANT / "migration.sql"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [v["server"]["major"] for v in data["versions"]] == majors
    assert data["differences"][0]["by_version"]["18"] == "accounts AccessShare"


def test_a_seeded_matrix_shows_each_versions_lock_holds(tmp_path):
    majors = older_and_18()
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY, n int);\n")
    (tmp_path / "0001.sql").write_text("ALTER TABLE t ALTER COLUMN n TYPE bigint;\n")
    result = subprocess.run(
        [sys.executable, "-m", "pgfence.cli", "dryrun", "--pg", ",".join(map(str, majors)),
         "--seed-rows", "500", "--schema", str(tmp_path / "schema.sql"),
         str(tmp_path / "0001.sql")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # a rewrite under ACCESS EXCLUSIVE
    holds = [line for line in result.stdout.splitlines() if "blocked" in line]
    assert len(holds) == len(majors), result.stdout
    assert all("reads and writes to t blocked" in line for line in holds)
    assert "with each statement's duration estimate" in result.stdout


def test_an_unknown_version_list_is_a_usage_error(tmp_path):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    result = subprocess.run(
        [sys.executable, "-m", "pgfence.cli", "dryrun", "--pg", "14,latest", str(migration)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "all-available" in result.stderr


def test_the_matrix_table_shows_each_finding_once_and_why_a_version_failed(tmp_path):
    """A finding every version has is shown once; one that differs (a recipe that
    depends on the version) is shown per version, marked; each version says why it fails."""
    majors = older_and_18()
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
    )
    (tmp_path / "m.sql").write_text("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n")
    result = subprocess.run(
        [sys.executable, "-m", "pgfence.cli", "dryrun", "--pg", ",".join(map(str, majors)),
         "--schema", str(tmp_path / "schema.sql"), str(tmp_path / "m.sql")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    scans = [line for line in lines if "set-not-null-scan" in line]
    assert [line.split("(")[-1] for line in scans] == [f"PG {m} only)" for m in majors]
    assert sum("missing-lock-timeout" in line for line in lines) == 1
    assert "(PG" not in next(line for line in lines if "missing-lock-timeout" in line)
    for major in majors:
        [status] = [line for line in lines if line.startswith(f"PG {major}.")]
        assert status.endswith("→ FAILED (findings at or above high)")


def test_schema_from_is_dumped_once_for_every_version(pg, database_name, monkeypatch, tmp_path):
    """pg_dump locks every table of the source while it runs: once, not once per version
    (its output, from pg_dump 18 here, replays on the older versions too)."""

    from pgfence.dryrun import matrix

    majors = older_and_18()
    source = database_with(
        pg, database_name, "CREATE TABLE accounts (id bigint PRIMARY KEY, email text)"
    )
    dumps: list[str] = []

    def counted(*args, **kwargs):
        dumps.append(args[0])
        return real(*args, **kwargs)

    real = matrix.dump_schema
    monkeypatch.setattr(matrix, "dump_schema", counted)
    (tmp_path / "m.sql").write_text("ALTER TABLE accounts ADD COLUMN note text;\n")
    result = run_matrix(
        [ServerChoice(pg=m) for m in majors],
        load_migrations([str(tmp_path / "m.sql")]),
        DryRunOptions(schema_from=source),
    )
    assert len(dumps) == 1
    for report in result.reports:
        [statement] = report.statements
        assert statement.observation.error is None, report.pg_version
        assert any(lock.relation == "public.accounts" for lock in statement.observation.locks)
    assert not list(Path(tempfile.gettempdir()).glob("pgfence-schema-*.sql"))
