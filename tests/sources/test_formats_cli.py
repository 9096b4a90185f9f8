"""`--migration-format` and detection, as a user runs the command."""

import json
from pathlib import Path

from tests.support import pgfence as run

FIXTURES = Path(__file__).parent / "fixtures"


def test_prisma_folder_just_works_with_lines_and_origin():
    result = run("analyze", "-f", "json", str(FIXTURES / "prisma" / "migrations"))
    assert result.returncode == 0, result.stderr  # its tables are new: nothing blocks anyone
    data = json.loads(result.stdout)
    assert len(data["statements"]) == 6
    assert [s["line"] for s in data["statements"]][-3:] == [2, 10, 13]


def test_migration_format_option_is_listed_and_forces_the_format(tmp_path):
    help_text = " ".join(run("analyze", "--help").stdout.split())
    assert "--migration-format" in help_text and "never imported or run" in help_text
    assert "--migration-format" in run("dryrun", "--help").stdout
    path = tmp_path / "V1__x.sql"
    path.write_text("CREATE INDEX CONCURRENTLY i ON t (a);\nSELECT 1;\n")
    forced = run("analyze", "-f", "json", "--migration-format", "sql", str(path))
    assert forced.returncode == 0, forced.stdout
    bad = run("analyze", "--migration-format", "liquibase", str(path))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_broken_python_migration_fails_the_run_without_a_traceback(tmp_path):
    path = tmp_path / "0001_broken.py"
    path.write_text("revision = '1'\ndown_revision = None\ndef upgrade(:\n")
    result = run("analyze", "--migration-format", "alembic", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "parse-error" in result.stdout
