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


def test_python_and_js_files_that_are_no_migrations_are_skipped_never_read_as_sql(tmp_path):
    """pre-commit passes every file of a migrations folder one by one: `__init__.py`, a
    helper module, a JS config are each skipped with a note; the migrations are read."""
    migrations = tmp_path / "app" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "__init__.py").write_text("")
    (migrations / "helpers.py").write_text("import os\n\ndef main():\n    print(os.getcwd())\n")
    (migrations / "knexfile.js").write_text("module.exports = { client: 'pg' };\n")
    django = FIXTURES / "django" / "shop" / "migrations" / "0003_item_name_idx.py"
    (migrations / "0003_item_name_idx.py").write_text(django.read_text())
    (migrations / "0004_index.sql").write_text("CREATE INDEX items_name_idx ON items (name);\n")
    names = ["__init__.py", "helpers.py", "knexfile.js", "0003_item_name_idx.py", "0004_index.sql"]
    result = run("analyze", "-f", "json", *(str(migrations / n) for n in names))
    data = json.loads(result.stdout)
    skipped = {Path(f["file"]).name: f for f in data["findings"] if f["rule"] == "not-a-migration"}
    assert sorted(skipped) == ["__init__.py", "helpers.py", "knexfile.js"]
    assert skipped["helpers.py"]["severity"] == "info"
    assert skipped["helpers.py"]["message"] == (
        "not a migration (neither an Alembic revision nor a Django migration): skipped"
    )
    rules = {f["rule"] for s in data["statements"] for f in s["findings"]}
    assert "parse-error" not in rules and "create-index-blocks-writes" in rules
    files = [Path(s["file"]).name for s in data["statements"]]
    assert files == ["0003_item_name_idx.py"] * 2 + ["0004_index.sql"]
    assert result.returncode == 1  # the SQL file's index build still fails the run
    table = run("analyze", "app/migrations/helpers.py", cwd=tmp_path)
    assert table.returncode == 0, table.stdout
    assert "app/migrations/helpers.py:1:1  info  not-a-migration" in table.stdout


def test_a_forced_format_still_reads_a_python_file_it_is_told_to(tmp_path):
    path = tmp_path / "helpers.py"
    path.write_text("import os\n")
    result = run("analyze", "-f", "json", "--migration-format", "sql", str(path))
    [statement] = json.loads(result.stdout)["statements"]
    assert [f["rule"] for f in statement["findings"]] == ["parse-error"]
