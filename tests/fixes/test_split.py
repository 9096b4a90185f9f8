"""`--fix --split`: cut into migrations what no edit of one migration makes safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgfence.api import analyze, fix
from tests.fixes.test_fix import FIXED_RULES, SCHEMA, _schema_after

SPLIT_RULES = FIXED_RULES | {"unique-constraint-builds-index", "set-not-null-scan"}

PRISMA = """\
-- AlterTable
ALTER TABLE "accounts" ADD COLUMN "note" TEXT;

-- CreateIndex
CREATE INDEX "accounts_email_idx" ON "accounts"("email");

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Unique
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_n_key" UNIQUE ("n");

ALTER TABLE "accounts" ALTER COLUMN "email" SET NOT NULL;
"""
TIMEOUTS = "SET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5min';\n"
PRISMA_SPLIT = {
    "20240101000000_x": TIMEOUTS
    + '-- AlterTable\nALTER TABLE "accounts" ADD COLUMN "note" TEXT;\n\n',
    "20240101000000_x_2_index": '-- CreateIndex\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "accounts_email_idx" ON "accounts"("email");\n',
    "20240101000000_x_3_continued": TIMEOUTS
    + '-- AddForeignKey\nALTER TABLE "orders" ADD CONSTRAINT "orders_account_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;\n',
    "20240101000000_x_4_validate": TIMEOUTS
    + "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\n",
    "20240101000000_x_5_unique_index": "-- Unique\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_key ON accounts (n);\n",
    "20240101000000_x_6_add_unique": TIMEOUTS
    + "ALTER TABLE accounts ADD CONSTRAINT accounts_n_key UNIQUE USING INDEX accounts_n_key;\n"
    "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null NOT NULL email NOT VALID;\n",
    "20240101000000_x_7_validate_not_null": TIMEOUTS
    + "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null;\n",
}


def _prisma(tmp_path: Path) -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    root = tmp_path / "prisma" / "migrations"
    (root / "20240101000000_x").mkdir(parents=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (root / "20240101000000_x" / "migration.sql").write_text(PRISMA)
    return root


def _folders(root: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in sorted(root.glob("*/migration.sql"))}


def test_prisma_migration_is_cut_into_folders_that_sort_after_it_and_analyse_clean(tmp_path):
    root = _prisma(tmp_path)
    result = fix(root, schema=tmp_path / "schema.sql", pg=18, split=True, write=True)
    assert _folders(root) == PRISMA_SPLIT
    assert result.refusals == ()
    assert len({s.statement.location.file for s in result.report.statements}) == 7
    again = analyze(root, schema=tmp_path / "schema.sql", pg=18)
    assert [m for m in again.statements if m.findings] == []
    # Prisma applies folders in name order: the new ones right after the original.
    assert sorted(_folders(root)) == list(PRISMA_SPLIT)


def test_without_split_the_findings_that_need_it_say_so(tmp_path):
    root = _prisma(tmp_path)
    result = fix(root, schema=tmp_path / "schema.sql", pg=18, write=True)
    reasons = {r.rule: r.reason for r in result.refusals}
    assert reasons["unique-constraint-builds-index"] == (
        "it needs more than one migration: --split cuts it"
    )
    assert "(--split)" in reasons["create-index-blocks-writes"]
    assert list(_folders(root)) == ["20240101000000_x"]


def test_diff_with_split_shows_new_files_and_writes_nothing(tmp_path):
    root = _prisma(tmp_path)
    result = fix(root, schema=tmp_path / "schema.sql", pg=18, split=True)
    diff = result.diff()
    assert diff.count("--- /dev/null") == 6
    assert f"+++ {root}/20240101000000_x_2_index/migration.sql" in diff
    assert list(_folders(root)) == ["20240101000000_x"]


def test_golang_migrate_gets_the_next_free_versions_with_down_files(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240101120000_add.up.sql").write_text(
        "ALTER TABLE accounts ADD COLUMN note text;\n"
        "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    )
    (folder / "20240101120000_add.down.sql").write_text("DROP INDEX accounts_email_idx;\n")
    (folder / "20240102000000_next.up.sql").write_text("SELECT 1;\n")
    fix(folder, schema=tmp_path / "schema.sql", split=True, write=True)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "20240101120000_add.down.sql",
        "20240101120000_add.up.sql",
        "20240101120001_add_index.down.sql",
        "20240101120001_add_index.up.sql",
        "20240102000000_next.up.sql",
    ]
    assert (folder / "20240101120001_add_index.up.sql").read_text() == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
    )
    assert (folder / "20240101120001_add_index.down.sql").read_text() == (
        "-- nothing: 20240101120000_add.down.sql reverts what this did\n"
    )
    again = analyze(folder, schema=tmp_path / "schema.sql")
    assert not {f.rule for f in again.all_findings()} & SPLIT_RULES


def test_golang_migrate_without_a_free_version_is_refused(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "migrations"
    folder.mkdir()
    first = "ALTER TABLE accounts ADD COLUMN note text;\nCREATE INDEX accounts_email_idx ON accounts (email);\n"
    (folder / "000001_add.up.sql").write_text(first)
    (folder / "000002_next.up.sql").write_text("SELECT 1;\n")
    result = fix(folder, schema=tmp_path / "schema.sql", split=True, write=True)
    [refused] = [r for r in result.refusals if r.rule == "create-index-blocks-writes"]
    assert refused.reason == (
        "not split: no free version between 000001 and the next migration's 2: renumber, "
        "or split by hand"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["000001_add.up.sql", "000002_next.up.sql"]


def test_flyway_versions_and_dbmate_markers(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    flyway = tmp_path / "flyway"
    flyway.mkdir()
    (flyway / "V2__fk.sql").write_text(
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n"
    )
    (flyway / "V3__later.sql").write_text("SELECT 1;\n")
    fix(flyway, schema=tmp_path / "schema.sql", split=True, write=True)
    assert (flyway / "V2.1__fk_validate.sql").read_text() == (
        "SET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5min';\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\n"
    )
    dbmate = tmp_path / "db" / "migrations"
    dbmate.mkdir(parents=True)
    (dbmate / "20240101000000_idx.sql").write_text(
        "-- migrate:up\nALTER TABLE accounts ADD COLUMN note text;\n"
        "CREATE INDEX accounts_email_idx ON accounts (email);\n\n"
        "-- migrate:down\nDROP INDEX accounts_email_idx;\n"
    )
    fix(dbmate, schema=tmp_path / "schema.sql", split=True, write=True)
    assert (dbmate / "20240101000000_idx.sql").read_text() == (
        "-- migrate:up\nSET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5min';\n"
        "ALTER TABLE accounts ADD COLUMN note text;\n"
        "-- migrate:down\nDROP INDEX accounts_email_idx;\n"
    )
    assert (dbmate / "20240101000001_idx_index.sql").read_text() == (
        "-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n\n"
        "-- migrate:down\n-- nothing: 20240101000000_idx.sql reverts this\n"
    )
    for folder in (flyway, dbmate):
        again = analyze(folder, schema=tmp_path / "schema.sql")
        assert not {f.rule for f in again.all_findings()} & SPLIT_RULES, again.all_findings()


def test_a_cut_inside_begin_commit_is_refused(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    path = tmp_path / "m.sql"
    path.write_text("BEGIN;\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\nCOMMIT;\n")
    result = fix(path, schema=tmp_path / "schema.sql", split=True, write=True)
    [refused] = [r for r in result.refusals if r.rule == "set-not-null-scan"]
    assert "inside BEGIN … COMMIT" in refused.reason
    assert result.created == ()


# ---- on a real Postgres ------------------------------------------------------------------


def _run_in_order(server, name: str, texts: list[str]):
    return _schema_after(server, name, "\n".join(texts))


@pytest.mark.postgres
def test_prisma_split_builds_the_same_schema_and_dry_runs_in_prisma_s_way(
    pg, tmp_path, database_name
):
    from pgfence.api import dryrun
    from pgfence.model import VerdictKind

    if pg.major < 18:
        pytest.skip("the split of SET NOT NULL is written for PostgreSQL 18 here")
    root = _prisma(tmp_path)
    fix(root, schema=tmp_path / "schema.sql", pg=pg.major, split=True, write=True)
    before = _run_in_order(pg, f"{database_name}_a", [PRISMA])
    after = _run_in_order(pg, f"{database_name}_b", list(_folders(root).values()))
    assert after == before
    report = dryrun(root, schema=tmp_path / "schema.sql", server=pg, database=database_name)
    assert len({s.statement.location.file for s in report.statements}) == 7
    assert not [s for s in report.statements if s.observation.error is not None]
    assert not [s for s in report.statements if s.verdict.kind is VerdictKind.UNDER_PREDICTED]


@pytest.mark.postgres
def test_set_not_null_before_18_is_a_check_validated_then_dropped(servers, tmp_path, database_name):
    server = servers.get(15)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "migrations"
    folder.mkdir()
    migration = "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
    (folder / "0001_not_null.sql").write_text(migration)
    fix(folder, schema=tmp_path / "schema.sql", pg=15, split=True, write=True)
    head = (folder / "0001_not_null.sql").read_text()
    tail = (folder / "0001_not_null_2_validate_not_null.sql").read_text()
    assert head == (
        "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null "
        "CHECK (email IS NOT NULL) NOT VALID;\n"
    )
    assert tail == (
        "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null;\n"
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
        "ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null;\n"
    )
    again = analyze(folder, schema=tmp_path / "schema.sql", pg=15)
    assert not {f.rule for f in again.all_findings()} & SPLIT_RULES, again.all_findings()
    assert _run_in_order(server, f"{database_name}_b", [head, tail]) == _run_in_order(
        server, f"{database_name}_a", [migration]
    )


BACKFILL = (
    "ALTER TABLE accounts ADD COLUMN plan text;\n"
    "UPDATE accounts SET plan = 'free';\n"
    "ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;\n"
)


def _flyway_backfill(tmp_path: Path) -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "V2__plan.sql").write_text(BACKFILL)
    return folder


def test_a_column_with_a_backfill_becomes_expand_backfill_contract(tmp_path):
    folder = _flyway_backfill(tmp_path)
    fix(folder, schema=tmp_path / "schema.sql", pg=18, split=True, write=True)
    texts = {p.name: p.read_text() for p in sorted(folder.iterdir())}
    timeouts = "SET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5min';\n"
    assert texts == {
        "V2__plan.sql": timeouts + "ALTER TABLE accounts ADD COLUMN plan text;\n",
        "V2.1__plan_backfill.sql": timeouts + "UPDATE accounts SET plan = 'free';\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_plan_not_null NOT NULL plan NOT VALID;\n",
        "V2.2__plan_validate_not_null.sql": timeouts
        + "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_not_null;\n",
    }
    left = {f.rule for f in analyze(folder, schema=tmp_path / "schema.sql", pg=18).all_findings()}
    # Batching a backfill is the one thing left: it needs a loop, which no migration file holds.
    assert left == {"unbatched-data-change"}


@pytest.mark.postgres
def test_expand_backfill_contract_builds_the_same_schema(pg, tmp_path, database_name):
    if pg.major < 18:
        pytest.skip("the split of SET NOT NULL is written for PostgreSQL 18 here")
    folder = _flyway_backfill(tmp_path)
    fix(folder, schema=tmp_path / "schema.sql", pg=pg.major, split=True, write=True)
    from pgfence.sources.formats.flyway import version

    after = [p.read_text() for p in sorted(folder.iterdir(), key=lambda p: version(p.name))]
    assert len(after) == 3
    assert _run_in_order(pg, f"{database_name}_b", after) == _run_in_order(
        pg, f"{database_name}_a", [BACKFILL]
    )


def test_a_mixed_flyway_script_gets_its_concurrent_build_moved_out(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "V10__mixed.sql").write_text(
        "CREATE TABLE notes (id bigint);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_idx ON accounts (n);\n"
    )
    before = analyze(folder, schema=tmp_path / "schema.sql")
    assert "flyway-mixed-transaction" in {f.rule for f in before.all_findings()}
    fix(folder, schema=tmp_path / "schema.sql", split=True, write=True)
    assert (folder / "V10__mixed.sql").read_text() == "CREATE TABLE notes (id bigint);\n"
    assert (folder / "V10.1__mixed_index.sql").read_text() == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_idx ON accounts (n);\n"
    )
    after = analyze(folder, schema=tmp_path / "schema.sql")
    assert [f.rule for f in after.all_findings()] == []
    assert {s.statement.transaction.scope.value for s in after.statements} == {
        "runner",
        "autocommit",
    }
