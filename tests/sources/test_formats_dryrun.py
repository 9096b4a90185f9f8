"""Every migration format dry-runs on a real Postgres: the SQL pgfence extracts really runs."""

from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.sources import load_migrations

FIXTURES = Path(__file__).parent / "fixtures"

# What each fixture project expects to exist before its first migration.
SCHEMAS = {
    "flyway": "CREATE SCHEMA __flyway_defaultSchema_;",
    "golang-migrate": "",
    "dbmate": "",
    "sqitch": "",
    "prisma": "",
    "drizzle": "",
    "alembic": "CREATE TABLE teams (id bigint PRIMARY KEY);",
    "django": (
        "CREATE TABLE auth_user (id integer PRIMARY KEY);"
        "CREATE TABLE legacy_membership (id bigint PRIMARY KEY, uid integer);"
    ),
    # The fixture's `${prefix}user` reads PREFIXuser once the placeholder is filled in.
    "typeorm": 'CREATE TABLE "team" (id integer PRIMARY KEY); CREATE TABLE "PREFIXuser" (age int);',
    "knex": (
        "CREATE TABLE users (id serial PRIMARY KEY, name varchar(100), legacy text, owner_id int);"
        "CREATE TABLE old_stuff (id int);"
    ),
    "sequelize": (
        'CREATE TABLE users (id serial PRIMARY KEY, name varchar(100), email text, "deletedAt" timestamptz);'
        "CREATE TABLE old_stuff (id int);"
    ),
}


@pytest.fixture(scope="module")
def server():
    from pgfence.dryrun.servers.embedded import embedded_server

    with embedded_server() as started:
        yield started


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", sorted(SCHEMAS))
def test_every_extracted_statement_runs_on_postgres(server, fmt, tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMAS[fmt] or "SELECT 1;")
    migrations = load_migrations([str(FIXTURES / fmt)])
    assert {m.format for m in migrations} == {fmt}
    options = DryRunOptions(
        schema_file=str(schema), isolate=False, database=f"pgfence_{fmt.replace('-', '_')}"
    )
    report = dry_run(server, migrations, options)
    # SQL with placeholders for `${}` is reported unanalysable; it may well not run.
    placeholders = {
        (f.location.file, f.location.line)
        for m in migrations
        for f in m.findings
        if f.rule == "unanalysable"
    }
    # What the static analysis says Postgres will refuse must fail for real, with 25001.
    refused = {
        (s.statement.location.file, s.statement.location.line)
        for s in report.statements
        if any(f.rule == "concurrently-in-transaction" for f in s.findings)
    }
    failed = [
        (s.statement.location, s.statement.sql, s.observation.error.message)
        for s in report.statements
        if s.observation is not None
        and s.observation.error is not None
        and (s.statement.location.file, s.statement.location.line) not in placeholders | refused
    ]
    assert failed == []
    for s in report.statements:
        if (s.statement.location.file, s.statement.location.line) in refused:
            assert s.observation.error is not None and s.observation.error.sqlstate == "25001"
    assert report.statements
    for s in report.statements:
        if (s.statement.location.file, s.statement.location.line) in placeholders and (
            s.statement.refused
        ):
            # SQL built at run time is analysed with placeholders but never sent as if known.
            assert not s.observation.ran and "built at run time" in s.observation.not_run_reason
        else:
            assert s.observation.ran


@pytest.mark.postgres
def test_cli_dryrun_reads_an_alembic_folder(tmp_path):
    import json
    import subprocess
    import sys

    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMAS["alembic"])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgfence.cli",
            "dryrun",
            "-f",
            "json",
            "--schema",
            str(schema),
            str(FIXTURES / "alembic" / "versions"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Every statement ran and the server confirmed each prediction (the partial index the
    # type change rebuilds included); no finding is high enough to fail the run.
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    data = json.loads(result.stdout)
    assert len(data["statements"]) == 17  # the loop over TABLES read once per table
    assert all(s["observed"]["ran"] and not s["observed"].get("error") for s in data["statements"])
    assert data["summary"]["verdicts"] == {"confirmed": 17}
