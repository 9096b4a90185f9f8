"""SQL-file migration formats: detection, order, sections and runner transactions."""

from pathlib import Path

import pytest

from pgfence.errors import BadInput, UsageError
from pgfence.model import TxScope
from pgfence.sources import earlier_migrations, load_migrations

FIXTURES = Path(__file__).parent / "fixtures"


def names(migrations):
    return [Path(m.path).name for m in migrations]


def rows(migration):
    """(line, first words of the SQL, transaction scope) for each statement."""
    return [
        (s.location.line, " ".join(s.sql.split()[:3]), s.transaction.scope)
        for s in migration.statements
    ]


def test_flyway_orders_versions_numerically_then_repeatables_and_skips_undo():
    migrations = load_migrations([str(FIXTURES / "flyway")])
    assert {m.format for m in migrations} == {"flyway"}
    assert names(migrations) == [
        "V1__init.sql",
        "V1_1__add_email.sql",
        "V2__index_email.sql",
        "V3__backfill.sql",
        "V4__schema_placeholder.sql",
        "V10__mixed.sql",
        "R__views.sql",
    ]


def test_flyway_wraps_each_file_in_its_own_transaction():
    migrations = {Path(m.path).name: m for m in load_migrations([str(FIXTURES / "flyway")])}
    add_email = migrations["V1_1__add_email.sql"]
    assert rows(add_email) == [
        (2, "ALTER TABLE accounts", TxScope.RUNNER),
        (3, "ALTER TABLE accounts", TxScope.RUNNER),
    ]
    init_block = migrations["V1__init.sql"].statements[0].transaction.block
    blocks = {s.transaction.block for s in add_email.statements}
    assert len(blocks) == 1 and init_block not in blocks


def test_flyway_runs_non_transactional_scripts_and_conf_overrides_without_transaction():
    migrations = {Path(m.path).name: m for m in load_migrations([str(FIXTURES / "flyway")])}
    assert rows(migrations["V2__index_email.sql"]) == [
        (1, "CREATE INDEX CONCURRENTLY", TxScope.AUTOCOMMIT)
    ]
    assert migrations["V2__index_email.sql"].findings == ()
    assert [s.transaction.scope for s in migrations["V3__backfill.sql"].statements] == [
        TxScope.AUTOCOMMIT,
        TxScope.AUTOCOMMIT,
    ]
    mixed = migrations["V10__mixed.sql"]
    assert [s.transaction.scope for s in mixed.statements] == [TxScope.AUTOCOMMIT] * 2
    [finding] = mixed.findings
    assert finding.rule == "flyway-mixed-transaction" and finding.location.line == 2


def test_flyway_placeholders_keep_columns_and_parse():
    migrations = {Path(m.path).name: m for m in load_migrations([str(FIXTURES / "flyway")])}
    placeholder = migrations["V4__schema_placeholder.sql"]
    [statement] = placeholder.statements
    assert statement.sql.startswith("CREATE TABLE __flyway_defaultSchema_.audit")
    assert statement.parse_error is None
    assert [f.rule for f in placeholder.findings] == ["flyway-placeholder"]


def test_golang_migrate_reads_up_files_only_and_multi_statement_files_share_a_transaction():
    migrations = load_migrations([str(FIXTURES / "golang-migrate")])
    assert {m.format for m in migrations} == {"golang-migrate"}
    assert names(migrations) == [
        "000001_create_users.up.sql",
        "000002_index_email.up.sql",
        "000010_add_name.up.sql",
    ]
    assert migrations[1].statements[0].transaction.scope is TxScope.AUTOCOMMIT
    multi = migrations[2].statements
    assert [s.transaction.scope for s in multi] == [TxScope.RUNNER, TxScope.RUNNER]
    assert multi[0].transaction.block == multi[1].transaction.block


def test_golang_migrate_concurrently_in_a_multi_statement_file_is_flagged():
    from pgfence.analysis.analyze import build_report

    report = build_report(load_migrations([str(FIXTURES / "golang-migrate")]), version=16)
    flagged = [
        (Path(f.location.file).name, f.location.line)
        for f in report.all_findings()
        if f.rule == "concurrently-in-transaction"
    ]
    assert flagged == [("000010_add_name.up.sql", 2)]


def test_dbmate_reads_the_up_section_with_the_files_line_numbers():
    migrations = load_migrations([str(FIXTURES / "dbmate")])
    assert {m.format for m in migrations} == {"dbmate"}
    create, index = migrations
    assert rows(create) == [
        (2, "CREATE TABLE projects", TxScope.RUNNER),
        (7, "ALTER TABLE projects", TxScope.RUNNER),
    ]
    assert rows(index) == [(2, "CREATE INDEX CONCURRENTLY", TxScope.AUTOCOMMIT)]
    assert all("DROP" not in s.sql for m in migrations for s in m.statements)


def test_sqitch_follows_the_plan_including_a_reworked_change():
    migrations = load_migrations([str(FIXTURES / "sqitch")])
    assert {m.format for m in migrations} == {"sqitch"}
    assert names(migrations) == ["appschema.sql", "users@v1.0.sql", "users.sql"]
    users = migrations[2]
    assert rows(users) == [
        (4, "BEGIN", TxScope.EXPLICIT),
        (6, "ALTER TABLE flipr.users", TxScope.EXPLICIT),
        (7, "ALTER TABLE flipr.users", TxScope.EXPLICIT),
        (9, "COMMIT", TxScope.EXPLICIT),
    ]
    # Pointing at the deploy directory gives the same plan order.
    assert names(load_migrations([str(FIXTURES / "sqitch" / "deploy")])) == names(migrations)


def test_prisma_orders_by_folder_and_wraps_multi_statement_files():
    migrations = load_migrations([str(FIXTURES / "prisma")])
    assert {m.format for m in migrations} == {"prisma"}
    assert [Path(m.path).parent.name for m in migrations] == [
        "20240101120000_init",
        "20240215090000_add_email_index",
        "20240301000000_posts",
    ]
    assert rows(migrations[0]) == [
        (2, 'CREATE TABLE "User"', TxScope.RUNNER),
        (11, "CREATE UNIQUE INDEX", TxScope.RUNNER),
    ]
    assert rows(migrations[1]) == [(2, "CREATE INDEX CONCURRENTLY", TxScope.AUTOCOMMIT)]
    assert [s.location.line for s in migrations[2].statements] == [2, 10, 13]


def test_prisma_refuses_a_mysql_project(tmp_path):
    root = tmp_path / "migrations"
    (root / "20240101_init").mkdir(parents=True)
    (root / "20240101_init" / "migration.sql").write_text("CREATE TABLE `t` (id int);\n")
    (root / "migration_lock.toml").write_text('provider = "mysql"\n')
    with pytest.raises(BadInput, match='provider is "mysql"'):
        load_migrations([str(root)])


def test_drizzle_follows_the_journal_and_wraps_all_files_in_one_transaction():
    migrations = load_migrations([str(FIXTURES / "drizzle")])
    assert {m.format for m in migrations} == {"drizzle"}
    assert names(migrations) == ["0000_lucky_hulk.sql", "0001_brave_thor.sql"]
    statements = [s for m in migrations for s in m.statements]
    assert [s.location.line for s in statements] == [1, 6, 1, 2, 3]
    assert {(s.transaction.scope, s.transaction.block) for s in statements} == {(TxScope.RUNNER, 1)}
    [stray] = [f for m in migrations for f in m.findings]
    assert stray.rule == "not-in-journal" and stray.location.file.endswith("0002_scratch.sql")


def test_drizzle_refuses_another_dialect(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "_journal.json").write_text('{"dialect": "mysql", "entries": []}')
    (tmp_path / "0000_x.sql").write_text("select 1;")
    with pytest.raises(BadInput, match='dialect is "mysql"'):
        load_migrations([str(tmp_path)])


def test_the_format_can_be_forced_and_unknown_names_are_usage_errors(tmp_path):
    path = tmp_path / "V1__x.sql"
    path.write_text("ALTER TABLE t ADD COLUMN x int;\n")
    assert load_migrations([str(path)])[0].format == "flyway"
    [plain] = load_migrations([str(path)], fmt="sql")
    assert plain.format == "sql" and plain.statements[0].transaction.scope is TxScope.AUTOCOMMIT
    with pytest.raises(UsageError, match="unknown migration format"):
        load_migrations([str(path)], fmt="liquibase")


def test_replay_before_follows_the_formats_order():
    root = FIXTURES / "flyway" / "db" / "migration"
    tested = load_migrations([str(root / "V2__index_email.sql")])
    assert tested[0].format == "flyway"
    assert names(earlier_migrations(tested)) == ["V1__init.sql", "V1_1__add_email.sql"]


IGNORE_FILE = "-- pgfence-ignore-file: missing-lock-timeout\nALTER TABLE t ADD COLUMN x int;\n"


def _drizzle_with_a_stray_file(root):
    (root / "meta").mkdir()
    journal = '{"dialect": "postgresql", "entries": [{"idx": 0, "tag": "0000_a"}]}'
    (root / "meta" / "_journal.json").write_text(journal)
    (root / "0000_a.sql").write_text(IGNORE_FILE)
    (root / "0001_stray.sql").write_text("SELECT 1;\n")
    return "not-in-journal"


def _sqitch_with_a_missing_script(root):
    (root / "sqitch.plan").write_text(
        "%project=x\nfirst 2024-01-01T00:00:00Z A <a@b.c> # one\n"
        "gone 2024-01-02T00:00:00Z A <a@b.c> # two\n"
    )
    (root / "deploy").mkdir()
    (root / "deploy" / "first.sql").write_text(IGNORE_FILE)
    return "sqitch-missing-script"


def _flyway(root):
    (root / "V1__a.sql").write_text(IGNORE_FILE)


def _dbmate(root):
    (root / "20240101_a.sql").write_text(f"-- migrate:up\n{IGNORE_FILE}-- migrate:down\n")


def _golang_migrate(root):
    (root / "1_a.up.sql").write_text(IGNORE_FILE)


def _prisma(root):
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (root / "20240101_a").mkdir()
    (root / "20240101_a" / "migration.sql").write_text(IGNORE_FILE)


@pytest.mark.parametrize(
    ("fmt", "project"),
    [
        ("drizzle", _drizzle_with_a_stray_file),
        ("sqitch", _sqitch_with_a_missing_script),
        ("flyway", _flyway),
        ("dbmate", _dbmate),
        ("golang-migrate", _golang_migrate),
        ("prisma", _prisma),
    ],
)
def test_every_sql_format_keeps_the_files_ignore_file_comments(tmp_path, fmt, project):
    note = project(tmp_path)
    first = load_migrations([str(tmp_path)])[0]
    assert first.format == fmt
    line = 2 if fmt == "dbmate" else 1
    assert first.ignored_in_file == (("missing-lock-timeout", line),)
    if note:  # the first migration also carries the format's notes about other files
        assert [f.rule for f in first.findings] == [note]


@pytest.mark.parametrize("section", ["-- nothing yet\n", "\\set ON_ERROR_STOP on\n"])
def test_dbmate_up_section_with_nothing_to_run_is_bad_input(tmp_path, section):
    (tmp_path / "20240101_a.sql").write_text(f"-- migrate:up\n{section}-- migrate:down\n")
    with pytest.raises(BadInput, match="`-- migrate:up` section holds no SQL statements"):
        load_migrations([str(tmp_path)])


def test_flyway_placeholders_take_the_values_the_project_writes_down(tmp_path, monkeypatch):
    """flyway.conf and flyway.toml, the nearest first, and FLYWAY_PLACEHOLDERS_* over all."""
    project = tmp_path / "project"
    scripts = project / "db" / "migration"
    scripts.mkdir(parents=True)
    (project / "flyway.toml").write_text(
        '[flyway]\nurl = "jdbc:postgresql://db/app"\n[flyway.placeholders]\n'
        'table = "far_away"\nschema = "app"\n'
    )
    (project / "db" / "flyway.conf").write_text("flyway.placeholders.table=accounts\n")
    (scripts / "V1__note.sql").write_text(
        "ALTER TABLE ${schema}.${Table} ADD COLUMN note text;\n"
        "ALTER TABLE ${schema}.${unknown} ADD COLUMN x int;\n"
    )
    monkeypatch.delenv("FLYWAY_PLACEHOLDERS_SCHEMA", raising=False)
    [migration] = load_migrations([str(scripts)])
    assert [s.sql for s in migration.statements] == [
        "ALTER TABLE app.accounts ADD COLUMN note text",
        "ALTER TABLE app.__unknown_ ADD COLUMN x int",
    ]
    [finding] = migration.findings
    assert finding.rule == "flyway-placeholder" and finding.location.line == 2
    monkeypatch.setenv("FLYWAY_PLACEHOLDERS_SCHEMA", "tenant")
    [migration] = load_migrations([str(scripts)])
    assert migration.statements[0].sql == "ALTER TABLE tenant.accounts ADD COLUMN note text"
