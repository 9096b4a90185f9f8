"""`dryrun --runner CMD` with real runners on a real server: what the runner sent is what
its own SQL says, and the locks observed are those a plain dry-run of that SQL observes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pgfence.dryrun.proxy.command import RunnerRequest, dry_run_runner
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers.base import Server
from pgfence.model import Report, StatementReport
from pgfence.pg.locks import LockMode
from pgfence.sources.sql import read_sql_file
from tests.support import PGFENCE, pgfence

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE accounts (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, account_id int);
INSERT INTO accounts VALUES (1, 'a');
INSERT INTO orders VALUES (1, 1);
"""
# Outside a transaction: the proxy wraps the first in BEGIN/COMMIT, samples the second;
# inside psql's explicit one: observed as it stands.
MIGRATION = """\
ALTER TABLE accounts ADD COLUMN created timestamptz DEFAULT clock_timestamp();
CREATE INDEX CONCURRENTLY orders_account ON orders (account_id);
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
UPDATE orders SET account_id = 1;
COMMIT;
"""


def _psql(server: Server) -> str:
    psql = Path(server.bin_dir or "") / "psql"
    if not psql.exists():
        pytest.skip("this server ships no psql")
    return str(psql)


def _locks(report: StatementReport) -> set[tuple[str, LockMode]]:
    """Locks taken, TOAST relations named without their OID (each database has its own)."""
    assert report.observation is not None
    return {
        (re.sub(r"pg_toast_\d+", "pg_toast_N", lock.relation), lock.mode)
        for lock in report.observation.locks
        if not lock.new
    }


def _files(tmp_path: Path) -> tuple[Path, Path]:
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    migration = tmp_path / "0001_migration.sql"
    migration.write_text(MIGRATION)
    return schema, migration


def _runner(server: Server, command: str, database: str, schema: Path, **extra: object) -> Report:
    request = RunnerRequest(command, **extra)  # type: ignore[arg-type]
    options = DryRunOptions(schema_file=str(schema), database=database)
    return dry_run_runner(server, request, options)


def test_psql_statements_and_locks_equal_a_plain_dry_run_of_its_file(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, migration = _files(tmp_path)
    command = f"{_psql(pg)} -X -q -v ON_ERROR_STOP=1 -f {migration}"
    observed = _runner(pg, command, database_name, schema)
    plain = dry_run(
        pg,
        [read_sql_file(str(migration))],
        DryRunOptions(schema_file=str(schema), database=database_name + "_plain"),
    )
    assert observed.runner is not None and observed.runner.exit_code == 0
    assert observed.runner.connections == 1
    sent = [s.statement.sql for s in observed.statements]
    written = [s.statement.sql for s in plain.statements if not s.statement.sql.isalpha()]
    assert sent == written  # BEGIN and COMMIT are psql's own: shown apart
    assert observed.runner.own_statements == ("BEGIN", "COMMIT")
    plain_by_sql = {s.statement.sql: s for s in plain.statements}
    for report in observed.statements:
        assert _locks(report) == _locks(plain_by_sql[report.statement.sql]), report.statement.sql
        assert report.verdict is not None
        assert report.verdict.kind == plain_by_sql[report.statement.sql].verdict.kind  # type: ignore[union-attr]
    add_column, concurrent, fk, update = observed.statements
    assert add_column.observation is not None
    assert "public.accounts" in add_column.observation.rewritten  # seen in psql's own session
    assert ("public.accounts", LockMode.ACCESS_EXCLUSIVE) in _locks(add_column)
    assert concurrent.observation is not None and concurrent.observation.sampled
    assert ("public.orders", LockMode.SHARE_UPDATE_EXCLUSIVE) in _locks(concurrent)
    assert ("public.accounts", LockMode.SHARE_ROW_EXCLUSIVE) in _locks(fk)
    assert fk.observation is not None and fk.observation.blocks_writes
    assert update.statement.transaction.block == fk.statement.transaction.block


def test_the_runner_sees_exactly_what_it_would_without_pgfence(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    script = tmp_path / "check.sql"
    # An implicit transaction wrapped by the proxy still reports idle; an error still fails.
    script.write_text(
        "ALTER TABLE accounts ADD COLUMN x int;\n"
        "\\echo status :LAST_ERROR_SQLSTATE\n"
        "ALTER TABLE accounts ADD COLUMN x int;\n"
        "\\echo status :LAST_ERROR_SQLSTATE\n"
        "SELECT count(*) AS n FROM accounts \\gset\n"
        "\\echo rows :n\n"
    )
    command = f"{_psql(pg)} -X -q -f {script}; exit 3"
    observed = _runner(pg, command, database_name, schema)
    assert observed.runner is not None
    assert observed.runner.exit_code == 3 and observed.failed  # the runner failed: so does the run
    assert "status 00000" in observed.runner.output
    assert "status 42701" in observed.runner.output
    assert "rows 1" in observed.runner.output
    first, second = observed.statements
    assert first.verdict is not None and first.verdict.kind.value == "confirmed"
    assert second.observation is not None and second.observation.error is not None
    assert second.observation.error.sqlstate == "42701"


def test_a_runner_that_never_connects_fails_the_run(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    observed = _runner(pg, "echo nothing to do", database_name, schema)
    assert observed.runner is not None and observed.runner.exit_code == 0
    assert observed.failed
    assert observed.runner.problem == "the runner never connected to the database pgfence gave it"


def test_runner_timeout_kills_the_whole_process_group(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    marker = tmp_path / "child.pid"
    started = time.monotonic()
    observed = _runner(
        pg, f"sleep 60 & echo $! > {marker}; wait", database_name, schema, timeout_s=1.0
    )
    assert time.monotonic() - started < 20
    assert observed.runner is not None and observed.runner.timed_out and observed.failed
    child = int(marker.read_text())
    time.sleep(0.2)
    status = Path(f"/proc/{child}/status")
    # Gone, or a zombie its new parent has not reaped yet: killed either way.
    assert not status.exists() or "\nState:\tZ" in status.read_text()


def test_placeholders_and_environment_point_at_the_proxy_with_a_password(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    psql = _psql(pg)
    command = (
        f'{psql} -X -At -c "SELECT 1" "{{dsn}}" && '
        f'{psql} -X -At -h {{host}} -p {{port}} -d {{database}} -c "SELECT 2" && '
        f'test -n "$PGPASSWORD" && PGPASSWORD=wrong {psql} -X -At -c "SELECT 3"'
    )
    observed = _runner(pg, command, database_name, schema)
    assert observed.runner is not None
    assert observed.runner.connections == 2  # the wrong password never reached the server
    assert observed.runner.exit_code != 0
    assert "password authentication failed" in observed.runner.output
    assert observed.runner.own_statements == ("SELECT 1", "SELECT 2")


def test_runner_with_dsn_is_refused_in_one_line(tmp_path: Path) -> None:
    result = pgfence("dryrun", "--runner", "true", "--dsn", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--runner runs only on a server pgfence starts" in result.stderr


PROJECTS = Path(__file__).parent / "projects"


def _normal(sql: str) -> str:
    return " ".join(sql.replace("(", " ( ").replace(")", " ) ").split()).rstrip(";").strip()


def _tools_own(sql: str) -> bool:
    return sql.upper() in ("BEGIN", "COMMIT") or "alembic_version" in sql


def test_alembic_sends_what_its_offline_sql_says_with_the_locks_of_a_plain_dry_run(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    alembic = pytest.importorskip("alembic")
    assert alembic is not None
    project = PROJECTS / "alembic"
    command = f"{_venv_bin('alembic')} upgrade head"
    request = RunnerRequest(command, migrations_dir=project / "versions", cwd=project)
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None
    assert observed.runner.exit_code != 0  # d4 fails: CONCURRENTLY in Alembic's transaction
    assert observed.runner.migrations == ("a1", "b2", "c3")
    # What Alembic says it would send (`alembic upgrade head --sql`), its own rows aside.
    offline = subprocess.run(
        [_venv_bin("alembic"), "upgrade", "head", "--sql"],
        cwd=project,
        env={**os.environ, "DATABASE_URL": "postgresql://x@localhost/x"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script = tmp_path / "offline.sql"
    script.write_text(offline)
    written = [s for s in read_sql_file(str(script)).statements if not _tools_own(s.sql)]
    sent = [s.statement.sql for s in observed.statements]
    assert [_normal(s) for s in sent] == [_normal(s.sql) for s in written]
    files = [Path(s.statement.location.file).name for s in observed.statements]
    assert files[:7] == ["a1_create_tables.py"] * 4 + ["b2_volatile_default_and_fk.py"] * 2 + [
        "c3_indexes.py"
    ]
    # The plain dry-run of that SQL observes the same locks, statement by statement.
    plain = dry_run(pg, [read_sql_file(str(script))], DryRunOptions(database=database_name + "_p"))
    plain_by_sql = {_normal(s.statement.sql): s for s in plain.statements}
    for report in observed.statements:
        twin = plain_by_sql[_normal(report.statement.sql)]
        assert _locks(report) == _locks(twin), report.statement.sql
        assert report.verdict is not None and twin.verdict is not None
        assert report.verdict.kind == twin.verdict.kind, report.statement.sql
    add_column = observed.statements[4]
    assert add_column.observation is not None and add_column.observation.rewritten
    concurrent = observed.statements[6]
    assert concurrent.observation is not None and concurrent.observation.sampled
    failed = observed.statements[7]
    assert failed.observation is not None and failed.observation.error is not None
    assert failed.observation.error.sqlstate == "25001"


def _venv_bin(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.skip(f"no {name} installed beside this Python")
    return str(path)


def test_a_query_of_several_statements_is_observed_one_by_one_and_answered_as_one(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    psql = _psql(pg)
    both = "ALTER TABLE accounts ADD COLUMN a int; ALTER TABLE orders ADD COLUMN b int"
    failing = "ALTER TABLE accounts ADD COLUMN c int; ALTER TABLE accounts ADD COLUMN a int"
    command = (
        f'{psql} -X -q -c "{both}" && ! {psql} -X -q -c "{failing}" && '
        f"{psql} -X -At -c \"SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = 'accounts'::regclass AND attnum > 0\""
    )
    observed = _runner(pg, command, database_name, schema)
    assert observed.runner is not None and observed.runner.exit_code == 0
    # The failed Query's first statement was rolled back with it, as in one implicit transaction.
    assert observed.runner.output.strip().splitlines()[-1] == "id,name,a"
    a, b, c, again = observed.statements
    assert ("public.accounts", LockMode.ACCESS_EXCLUSIVE) in _locks(a)
    assert ("public.orders", LockMode.ACCESS_EXCLUSIVE) in _locks(b)
    assert ("public.accounts", LockMode.ACCESS_EXCLUSIVE) not in _locks(b)  # a's, held before
    assert a.statement.transaction.block == b.statement.transaction.block
    assert c.verdict is not None and c.verdict.kind.value == "confirmed"
    assert again.observation is not None and again.observation.error is not None


def test_django_sends_what_sqlmigrate_says_with_the_locks_of_a_plain_dry_run(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    pytest.importorskip("django")
    project = PROJECTS / "django"
    python = sys.executable
    request = RunnerRequest(
        f"{python} manage.py migrate shop", migrations_dir=project / "shop", cwd=project
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None
    assert observed.runner.exit_code != 0  # 0004: CONCURRENTLY in Django's transaction
    assert observed.runner.migrations == (
        "shop.0001_initial",
        "shop.0002_volatile_default_and_foreign_key",
        "shop.0003_index_concurrently",
    )
    # What Django says it sends (sqlmigrate, which needs a connection: the same server).
    params = conninfo_to_dict(pg.dsn(database_name))
    url = f"postgresql://{params['user']}@/{database_name}?host={params['host']}&port={params['port']}"
    written: list[str] = []
    scripts = []
    for name in ("0001", "0002", "0003", "0004"):
        sql = subprocess.run(
            [python, "manage.py", "sqlmigrate", "shop", name],
            cwd=project,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        script = tmp_path / f"{name}.sql"
        script.write_text(sql)
        scripts.append(read_sql_file(str(script)))
        written += [
            s.sql for s in scripts[-1].statements if s.sql.upper() not in ("BEGIN", "COMMIT")
        ]
    sent = [s.statement.sql for s in observed.statements]
    assert [_normal(s) for s in sent] == [_normal(s) for s in written]
    files = {Path(s.statement.location.file).name for s in observed.statements}
    assert "0002_volatile_default_and_foreign_key.py" in files
    # The plain dry-run of that SQL observes the same locks, statement by statement.
    plain = dry_run(pg, scripts, DryRunOptions(database=database_name + "_p"))
    plain_by_sql = {_normal(s.statement.sql): s for s in plain.statements}
    for report in observed.statements:
        twin = plain_by_sql[_normal(report.statement.sql)]
        assert _locks(report) == _locks(twin), report.statement.sql
        assert report.verdict is not None and twin.verdict is not None
        assert report.verdict.kind == twin.verdict.kind, report.statement.sql
    add_created = next(s for s in observed.statements if '"created"' in s.statement.sql)
    assert add_created.observation is not None and add_created.observation.rewritten
    fk = next(s for s in observed.statements if "REFERENCES" in s.statement.sql)
    assert ("public.shop_account", LockMode.SHARE_ROW_EXCLUSIVE) in _locks(fk)
    concurrent = next(s for s in observed.statements if '"order_total"' in s.statement.sql)
    assert concurrent.observation is not None and concurrent.observation.sampled
    refused = observed.statements[-1]
    assert refused.observation is not None and refused.observation.error is not None
    assert refused.observation.error.sqlstate == "25001"


def test_cli_json_report_of_a_runner_validates_and_says_how_it_ran(
    pg: Server, tmp_path: Path, report_validator: jsonschema.Draft202012Validator
) -> None:
    schema, migration = _files(tmp_path)
    psql = _psql(pg)
    result = pgfence(
        "dryrun", "--schema", str(schema), "--format", "json",
        "--runner", f"{psql} -X -q -v ON_ERROR_STOP=1 -f {migration}",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the volatile default is a high finding
    report = json.loads(result.stdout)
    report_validator.validate(report)
    runner = report["runner"]
    assert runner["exit_code"] == 0 and runner["connections"] == 1 and runner["problem"] is None
    assert runner["own_statements"] == ["BEGIN", "COMMIT"]
    assert [s["sql"].split()[0] for s in report["statements"]] == [
        "ALTER",
        "CREATE",
        "ALTER",
        "UPDATE",
    ]


def test_ctrl_c_stops_the_runner_and_leaves_nothing_behind(pg: Server, tmp_path: Path) -> None:
    schema, _ = _files(tmp_path)
    marker = tmp_path / "runner.pid"
    psql = _psql(pg)
    command = f'echo $$ > {marker}; {psql} -X -q -c "SELECT pg_sleep(60)"'
    process = subprocess.Popen(
        [*PGFENCE, "dryrun", "--schema", str(schema), "--runner", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text().strip():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)  # psql is connected and waiting on pg_sleep through the proxy
    servers = _children(process.pid, "postgres")
    started = servers | {pid for server in servers for pid in _children(server, "postgres")}
    assert len(started) > 1  # the run's server and the backend psql is connected to
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    shell = int(marker.read_text())
    status = Path(f"/proc/{shell}/status")
    assert not status.exists() or "\nState:\tZ" in status.read_text()
    # No process of the server that run started (nor its backend) is left.
    time.sleep(0.5)
    assert {pid for pid in started if _alive(pid)} == set()


def _children(parent: int, name: str) -> set[int]:
    """Live child processes of `parent` called `name`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                if status.startswith(f"Name:\t{name}") and f"\nPPid:\t{parent}\n" in status:
                    found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_compare_static_lists_each_difference_with_file_and_line(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_add.sql").write_text(
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE accounts ADD COLUMN a int;\n"
        "ALTER TABLE accounts ADD COLUMN b int;\n"
        "CREATE INDEX accounts_a ON accounts (a);\n"
    )
    sent = tmp_path / "really_sent.sql"  # what the tool makes of it, differently
    sent.write_text(
        "alter table ACCOUNTS add column a int;\n"  # the same to the parser
        "ALTER TABLE accounts ADD COLUMN b bigint;\n"
        "CREATE INDEX accounts_a ON accounts (a);\n"
        "ANALYZE accounts;\n"
    )
    request = RunnerRequest(
        f"{_psql(pg)} -X -q -v ON_ERROR_STOP=1 -f {sent}", compare_static=folder
    )
    observed = dry_run_runner(
        pg, request, DryRunOptions(schema_file=str(schema), database=database_name)
    )
    assert observed.runner is not None and observed.runner.compared
    found = [(d.kind, Path(d.file).name, d.line) for d in observed.runner.differences]
    assert found == [("differs", "0001_add.sql", 3), ("not-read", "0001_add.sql", None)]
    assert observed.runner.differences[0].sent_sql == "ALTER TABLE accounts ADD COLUMN b bigint"


def test_compare_static_agrees_with_alembic_on_its_example(pg: Server, database_name: str) -> None:
    pytest.importorskip("alembic")
    project = PROJECTS / "alembic"
    request = RunnerRequest(
        f"{_venv_bin('alembic')} upgrade head",
        cwd=project,
        compare_static=project / "versions",
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None and observed.runner.compared
    # d4 failed, unrecorded: what was sent after c3 is compared with it, and agrees.
    assert observed.runner.differences == ()


def test_the_python_api_runs_a_runner_and_refuses_one_with_dsn(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    import pgfence
    from pgfence.errors import UsageError

    schema, migration = _files(tmp_path)
    report = pgfence.dryrun(
        runner=f"{_psql(pg)} -X -q -v ON_ERROR_STOP=1 -f {migration}",
        schema=schema,
        server=pg,
        database=database_name,
    )
    assert report.runner is not None and report.runner.exit_code == 0
    assert len(report.statements) == 4
    with pytest.raises(UsageError, match="not with --dsn"):
        pgfence.dryrun(runner="true", dsn="postgresql://nobody@127.0.0.1:1/none")


def _npm_project(factory: pytest.TempPathFactory, name: str, packages: list[str]) -> Path:
    """An example project beside its packages installed from the npm registry."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip(f"node and npm are needed to install {name}")
    directory = factory.mktemp(name)
    shutil.copytree(PROJECTS / name, directory, dirs_exist_ok=True)
    (directory / "package.json").write_text(
        f'{{"name": "pgfence-{name}-example", "private": true}}'
    )
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *packages],
            cwd=directory,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"npm install failed: {exc}")
    return directory


@pytest.fixture(scope="module")
def knex_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _npm_project(tmp_path_factory, "knex", ["knex@3", "pg@8"])


@pytest.fixture(scope="module")
def sequelize_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    packages = ["sequelize@6", "sequelize-cli@6", "pg@8", "pg-hstore@2"]
    return _npm_project(tmp_path_factory, "sequelize", packages)


def _plain_twin(
    pg: Server, observed: Report, tmp_path: Path, database: str
) -> tuple[list[StatementReport], dict[str, StatementReport]]:
    """A plain dry-run of the SQL the tool sent (without statements of bound
    parameters), in the same transactions; the reports compared, and the twins by SQL."""
    script, compared = [], []
    for file in dict.fromkeys(s.statement.location.file for s in observed.statements):
        group = [s for s in observed.statements if s.statement.location.file == file]
        group = [s for s in group if "$1" not in s.statement.sql]
        in_tx = group[0].statement.transaction.scope.value == "runner"
        script += ["BEGIN;"] if in_tx else []
        script += [s.statement.sql + ";" for s in group]
        script += ["COMMIT;"] if in_tx else []
        compared += group
    plain_file = tmp_path / "sent.sql"
    plain_file.write_text("\n".join(script) + "\n")
    plain = dry_run(pg, [read_sql_file(str(plain_file))], DryRunOptions(database=database))
    return compared, {s.statement.sql: s for s in plain.statements}


@pytest.mark.registry
def test_knex_migrations_are_named_and_observed_as_a_plain_dry_run_of_what_it_sent(
    pg: Server, tmp_path: Path, database_name: str, knex_project: Path
) -> None:
    request = RunnerRequest(
        "npx knex migrate:latest",
        cwd=knex_project,
        migrations_dir=knex_project / "migrations",
        compare_static=knex_project / "migrations",
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None and observed.runner.exit_code != 0  # 0004 fails
    # knex_migrations' rows are bound parameters ($1…): read from the Bind messages.
    assert observed.runner.migrations == (
        "20260101000001_create_tables.js",
        "20260101000002_volatile_default_and_fk.js",
        "20260101000003_index_concurrently.js",
    )
    # pgfence's static Knex reader agrees on every call, the query builder's data calls
    # too (knex("accounts").insert(…)): knex sent them with $1 bound, pgfence reads the
    # values written in.
    assert observed.runner.differences == ()
    bound = [s.statement for s in observed.statements if s.statement.parameters]
    assert [s.sql for s in bound] == [
        'insert into "accounts" ("name") values ($1)',
        'insert into "orders" ("account_id") values ($1)',
    ]
    # The same SQL (without the bound inserts), in the same transactions, dry-run plainly.
    compared, plain_by_sql = _plain_twin(pg, observed, tmp_path, database_name + "_p")
    for report in compared:
        twin = plain_by_sql[report.statement.sql]
        assert _locks(report) == _locks(twin), report.statement.sql
    default = next(s for s in observed.statements if "clock_timestamp" in s.statement.sql)
    assert default.observation is not None and "public.accounts" in default.observation.rewritten
    concurrent = next(
        s for s in observed.statements if "CONCURRENTLY orders_account" in s.statement.sql
    )
    assert concurrent.observation is not None and concurrent.observation.sampled


@pytest.mark.registry
def test_sequelize_migrations_are_named_and_agree_with_the_static_reading(
    pg: Server, tmp_path: Path, database_name: str, sequelize_project: Path
) -> None:
    request = RunnerRequest(
        "npx sequelize-cli db:migrate",
        cwd=sequelize_project,
        compare_static=sequelize_project / "migrations",
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None and observed.runner.exit_code != 0  # 0004 fails
    assert observed.runner.migrations == (
        "20260101000001-create-tables.js",
        "20260101000002-volatile-default-and-fk.js",
        "20260101000003-index-concurrently.js",
    )
    assert observed.runner.differences == ()
    compared, plain_by_sql = _plain_twin(pg, observed, tmp_path, database_name + "_p")
    assert len(compared) == len(observed.statements)
    for report in compared:
        twin = plain_by_sql[report.statement.sql]
        assert _locks(report) == _locks(twin), report.statement.sql
        assert report.verdict is not None and twin.verdict is not None
        assert report.verdict.kind == twin.verdict.kind, report.statement.sql
    concurrent = next(s for s in observed.statements if '"orders_account"' in s.statement.sql)
    assert concurrent.observation is not None and concurrent.observation.sampled
    failed = observed.statements[-1]
    assert failed.observation is not None and failed.observation.error is not None
    assert failed.observation.error.sqlstate == "25001"


@pytest.fixture(scope="module")
def dbmate_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _npm_project(tmp_path_factory, "dbmate", ["dbmate@2"])


@pytest.mark.registry
def test_dbmate_migrations_are_named_and_observed_as_a_plain_dry_run_of_its_files(
    pg: Server, tmp_path: Path, database_name: str, dbmate_project: Path
) -> None:
    migrations = dbmate_project / "db" / "migrations"
    request = RunnerRequest(
        "npx dbmate --no-dump-schema migrate", cwd=dbmate_project, compare_static=migrations
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None and observed.runner.exit_code != 0  # 0004 fails
    assert observed.runner.migrations == ("20260101000001", "20260101000002", "20260101000003")
    assert observed.runner.differences == ()  # pgfence's dbmate reader agrees
    # The plain dry-run of the same files (pgfence wraps them as dbmate does).
    files = sorted(migrations.glob("*.sql"))
    from pgfence.sources import load_migrations

    plain = dry_run(
        pg, load_migrations([str(migrations)]), DryRunOptions(database=database_name + "_p")
    )
    assert len(files) == 4
    plain_by_sql = {_normal(s.statement.sql): s for s in plain.statements}
    for report in observed.statements:
        twin = plain_by_sql[_normal(report.statement.sql)]
        assert _locks(report) == _locks(twin), report.statement.sql
        assert report.verdict is not None and twin.verdict is not None
        assert report.verdict.kind == twin.verdict.kind, report.statement.sql


@pytest.fixture(scope="module")
def typeorm_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _npm_project(tmp_path_factory, "typeorm", ["typeorm@0.3", "pg@8", "reflect-metadata"])


@pytest.mark.registry
def test_typeorm_migrations_are_named_and_observed_as_a_plain_dry_run_of_what_it_sent(
    pg: Server, tmp_path: Path, database_name: str, typeorm_project: Path
) -> None:
    migrations = typeorm_project / "migrations"
    request = RunnerRequest(
        "npx typeorm migration:run -d data-source.js",
        cwd=typeorm_project,
        compare_static=migrations,
    )
    observed = dry_run_runner(pg, request, DryRunOptions(database=database_name))
    assert observed.runner is not None and observed.runner.exit_code != 0  # 0004 fails
    assert observed.runner.migrations == (
        "CreateTables1767225600001",
        "VolatileDefaultAndFk1767225600002",
        "IndexConcurrently1767225600003",
    )
    assert (
        Path(observed.statements[0].statement.location.file).name == "1767225600001-CreateTables.js"
    )
    assert observed.runner.differences == ()  # pgfence's TypeORM reader agrees
    compared, plain_by_sql = _plain_twin(pg, observed, tmp_path, database_name + "_p")
    assert len(compared) == len(observed.statements)
    for report in compared:
        twin = plain_by_sql[report.statement.sql]
        assert _locks(report) == _locks(twin), report.statement.sql
        assert report.verdict is not None and twin.verdict is not None
        assert report.verdict.kind == twin.verdict.kind, report.statement.sql
    failed = observed.statements[-1]
    assert failed.observation is not None and failed.observation.error is not None
    assert failed.observation.error.sqlstate == "25001"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runner", "true", "some.sql"], "--runner takes no PATH"),
        (["--migrations", "x", "some.sql"], "go with --runner"),
        (["--runner", "true", "--migrations", "/nonexistent"], "not a directory"),
        (["--runner", "true", "--pg", "14,18"], "--runner runs on one server"),
        (["--runner", "true", "--runner-timeout", "soon"], "--runner-timeout"),
    ],
)
def test_runner_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = pgfence("dryrun", *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr


def test_a_deferred_constraint_failing_at_commit_fails_the_statement_before_it(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE parent (id int PRIMARY KEY);\n"
        "CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n"
    )
    script = tmp_path / "m.sql"
    script.write_text(
        "INSERT INTO child VALUES (1);\n"  # committed by the proxy's COMMIT
        "BEGIN;\nINSERT INTO child VALUES (2);\nCOMMIT;\n"  # by the tool's own
        "INSERT INTO parent VALUES (3);\n"
    )
    observed = _runner(pg, f"{_psql(pg)} -X -q -f {script}", database_name, schema)
    assert observed.runner is not None
    first, second, third = observed.statements
    for failed in (first, second):
        assert failed.observation is not None and failed.observation.error is not None
        assert failed.observation.error.sqlstate == "23503"
        assert "raised at COMMIT" in failed.observation.error.message
    assert third.observation is not None and third.observation.error is None
    assert "violates foreign key constraint" in observed.runner.output  # psql was told


def test_a_runner_killed_in_a_sampled_statement_leaves_no_session_behind(
    pg: Server, tmp_path: Path, database_name: str
) -> None:
    schema, _ = _files(tmp_path)
    psql = _psql(pg)
    # An older transaction the concurrent build must wait out, then the build: killed.
    command = (
        f'{psql} -X -q -c "BEGIN; SELECT count(*) FROM orders; SELECT pg_sleep(30)" & '
        f"sleep 1; {psql} -X -q -c 'CREATE INDEX CONCURRENTLY orders_account ON orders (account_id)'"
    )
    started = time.monotonic()
    observed = _runner(pg, command, database_name, schema, timeout_s=4.0)
    assert time.monotonic() - started < 30
    assert observed.runner is not None and observed.runner.timed_out
    with psycopg.connect(pg.dsn(database_name), autocommit=True) as conn:
        time.sleep(0.5)
        left = conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_name,),
        ).fetchall()
    assert left == []
