"""Data queries on values known only at run time: the statement's shape is in the file
(its table, its columns, its kind, hence its table locks), its values are not. pgfence
writes NULL in their place with a `run-time-value` finding, reads a loop over run-time
values once, and never lets a dry-run write NULL into a row."""

from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.sources import load_migrations

KNEX = """\
exports.up = async (knex) => {
  let keep = []
  const rows = await knex('accounts').where('active', false)
  keep = rows.map(r => r.key)
  await knex('accounts').whereNotIn('key', keep).andWhere('active', false).del()
  await knex('accounts').whereIn('key', rows.map(r => r.key)).orWhere('id', 1).del()
  let position = 1
  for (const row of await knex('accounts')) {
    await knex('accounts').where('key', row.key).update({ position: position++ })
    position = 7
  }
  await knex('accounts').where('id', 2).update({ label: keep })
  await knex('accounts').insert({ key: 'k', label: position })
  await knex(rows[0].table).where('id', 3).del()
}
exports.down = knex => {}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_knex_data_queries_on_run_time_values_have_null_in_their_place(tmp_path):
    (migration,) = load_migrations([str(_write(tmp_path, "001_fix.js", KNEX))], fmt="knex")
    assert [(s.sql, s.refused is None) for s in migration.statements] == [
        ('select * from "accounts" where "active" = false', True),
        ('delete from "accounts" where "key" not in (NULL) and "active" = false', True),
        # an OR lets rows match whatever NULL does: never sent
        ('delete from "accounts" where "key" in (NULL) or "id" = 1', False),
        ('select * from "accounts"', True),
        ('update "accounts" set "position" = NULL where "key" = NULL', True),
        ('update "accounts" set "label" = NULL where "id" = 2', False),
        # `position` was assigned in the loop: after it, it is known only at run time too
        ('insert into "accounts" ("key", "label") values (\'k\', NULL)', False),
    ]
    notes = [(f.location.line, f.message) for f in migration.findings if f.rule == "run-time-value"]
    assert notes[0] == (
        5,
        "knex('accounts').whereNotIn().andWhere().del(): the variable `keep`, known only at "
        "run time: analysed with NULL in its place (the statement's table locks do not "
        "depend on it); a dry-run runs it as written here (its WHERE, a condition compared "
        "with NULL joined with AND, matches no row)",
    )
    assert notes[2] == (
        8,
        "the loop over `await knex('accounts')`: its values are known only at run time; its "
        "body runs once per value (perhaps never), and pgfence analysed it once",
    )
    assert notes[4][1].endswith("a dry-run does not run it (it could write NULL into a row)")
    # A table known only at run time is not a shape pgfence knows: unanalysable.
    gaps = [f.location.line for f in migration.findings if f.rule == "unanalysable"]
    assert gaps == [14]
    assert (migration.calls_seen, migration.calls_extracted) == (8, 7)


def test_sequelize_replacements_known_only_at_run_time_are_null_and_never_sent(tmp_path):
    folder = _write(
        tmp_path,
        "20240101000000-backfill.js",
        "module.exports = {\n"
        "  up: async (queryInterface) => {\n"
        "    const [rows] = await queryInterface.sequelize.query('SELECT id FROM accounts');\n"
        "    for (const row of rows) {\n"
        "      await queryInterface.sequelize.query(\n"
        "        'UPDATE accounts SET label = :label WHERE id = :id',\n"
        "        { replacements: { label: 'x', id: row.id } },\n"
        "      );\n"
        "    }\n"
        "  },\n"
        "};\n",
    )
    (migration,) = load_migrations([str(folder)], fmt="sequelize")
    assert [(s.sql, s.refused is None) for s in migration.statements] == [
        ("SELECT id FROM accounts", True),
        ("UPDATE accounts SET label = 'x' WHERE id = NULL", False),
    ]
    assert [f.rule for f in migration.findings] == ["run-time-value", "run-time-value"]
    assert (migration.calls_seen, migration.calls_extracted) == (2, 2)


def test_a_template_with_an_unknown_substitution_is_not_counted_as_turned_into_sql(tmp_path):
    folder = _write(
        tmp_path,
        "20240101000000-rename.js",
        "module.exports = {\n"
        "  up: async (queryInterface) => {\n"
        "    const [tables] = await queryInterface.sequelize.query('SELECT name FROM t');\n"
        "    for (const { name } of tables) {\n"
        "      await queryInterface.sequelize.query(`ALTER TABLE ${name} ADD COLUMN x int`);\n"
        "    }\n"
        "  },\n"
        "};\n",
    )
    (migration,) = load_migrations([str(folder)], fmt="sequelize")
    assert [f.rule for f in migration.findings if f.rule != "extraction-coverage"] == [
        "run-time-value",
        "unanalysable",
    ]
    assert (migration.calls_seen, migration.calls_extracted) == (2, 1)


def test_typeorm_parameters_known_only_at_run_time_are_null_and_javascript_s_own_calls_are_not_migration_calls(
    tmp_path,
):
    """medusa's seed loops: `c.code.toLowerCase()` and `Object.entries(…)` compute values
    and send nothing; the query's parameters known only at run time are NULL."""
    folder = _write(
        tmp_path,
        "1611063174563-seed.ts",
        'import { MigrationInterface, QueryRunner } from "typeorm"\n'
        'import { codes } from "../utils/codes"\n'
        "export class seed1611063174563 implements MigrationInterface {\n"
        "  public async up(queryRunner: QueryRunner): Promise<void> {\n"
        "    for (const [_, c] of Object.entries(codes)) {\n"
        "      const code = c.code.toLowerCase()\n"
        '      await queryRunner.query(`INSERT INTO "code" ("code", "n") VALUES ($1, $2)`,'
        " [code, 2])\n"
        "    }\n"
        "  }\n"
        "  public async down(queryRunner: QueryRunner): Promise<void> {}\n"
        "}\n",
    )
    (migration,) = load_migrations([str(folder)], fmt="typeorm")
    assert [(s.sql, s.refused is None) for s in migration.statements] == [
        ('INSERT INTO "code" ("code", "n") VALUES (NULL, 2)', False)
    ]
    assert [f.rule for f in migration.findings] == ["run-time-value", "run-time-value"]
    assert "`c.code.toLowerCase()`, known only at run time" in migration.findings[1].message
    assert (migration.calls_seen, migration.calls_extracted) == (1, 1)


@pytest.mark.postgres
def test_a_dry_run_runs_placeholder_statements_that_write_no_row_and_no_other(
    pg, tmp_path, database_name
):
    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE accounts (id int PRIMARY KEY, key text NOT NULL, label text NOT NULL,"
        " active boolean NOT NULL DEFAULT false, position int);"
        "INSERT INTO accounts VALUES (1, 'a', 'one', false, 1), (2, 'b', 'two', false, 2);"
    )
    check = (
        "DO $$ BEGIN IF (SELECT count(*) FROM accounts WHERE label IS NOT NULL"
        " AND position IS NOT NULL) <> 2 THEN RAISE EXCEPTION 'a row was written'; END IF; END $$"
    )
    migration = (
        "exports.up = async (knex) => {\n"
        "  const rows = await knex('accounts').where('active', false)\n"
        "  await knex('accounts').whereNotIn('key', rows.map(r => r.key)).del()\n"
        "  for (const row of rows) {\n"
        "    await knex('accounts').where('id', row.id).update({ position: row.position })\n"
        "  }\n"
        "  await knex('accounts').where('id', 1).update({ label: rows[0].label })\n"
        f"  await knex.raw(`{check}`)\n"
        "}\n"
    )
    migrations = load_migrations([str(_write(tmp_path, "001_fix.js", migration))], fmt="knex")
    options = DryRunOptions(schema_file=str(schema), isolate=False, database=database_name)
    report = dry_run(pg, migrations, options)
    outcome = [
        (s.statement.sql.split(" where ")[0], s.observation.ran, s.observation.error)
        for s in report.statements
    ]
    assert outcome == [
        ('select * from "accounts"', True, None),
        ('delete from "accounts"', True, None),
        ('update "accounts" set "position" = NULL', True, None),
        ('update "accounts" set "label" = NULL', False, None),
        (check, True, None),
    ]
    unsent = report.statements[3].observation.not_run_reason
    assert unsent is not None and "could write NULL into a row" in unsent


ALEMBIC = """\
from alembic import op
import sqlalchemy as sa
from app.defaults import WELCOME_TEXT

revision = "a1b2c3d4e5f6"
down_revision = None

shops = sa.table("shops", sa.column("id", sa.Integer), sa.column("owner_id", sa.Integer))
staff = sa.table("staff", sa.column("id", sa.Integer), sa.column("shop_id", sa.Integer))
notes = sa.table("notes", sa.column("id", sa.Integer), sa.column("label", sa.Text))


def note_for(label):
    bind = op.get_bind()
    return bind.execute(notes.select().where(notes.c.label == label).limit(1)).fetchone()


def add_note(label):
    bind = op.get_bind()
    bind.execute(notes.insert().values(label=label))


def upgrade():
    bind = op.get_bind()
    for shop in bind.execute(shops.select()):
        first = bind.execute(
            staff.select().where(staff.c.shop_id == shop.id).order_by(staff.c.id.desc()).limit(1)
        ).fetchall()
        for member in first:
            bind.execute(shops.update().where(shops.c.id == shop.id).values(owner_id=member.id))
    renamed = {"old": "new"}
    for old, new in renamed.items():
        bind.execute(notes.update().where(notes.c.label.like(f"%{old}%")).values(label=new))
    bind.execute(shops.update().where(shops.c.id == 1).values(owner_id=first[0].id))
    for label in ("welcome", WELCOME_TEXT):
        if note_for(label) is None:
            add_note(label)
"""


def test_alembic_core_queries_on_run_time_values_have_null_in_their_place(tmp_path):
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "a1b2c3d4e5f6_owners.py").write_text(ALEMBIC)
    (migration,) = load_migrations([str(folder)], fmt="alembic")
    assert [(s.location.line, s.sql, s.refused is None) for s in migration.statements] == [
        (25, "SELECT shops.id, shops.owner_id FROM shops", True),
        (
            26,
            "SELECT staff.id, staff.shop_id FROM staff WHERE staff.shop_id = NULL"
            " ORDER BY staff.id DESC LIMIT 1",
            True,
        ),
        (30, "UPDATE shops SET owner_id=NULL WHERE shops.id = NULL", True),
        # a dict's items, in the file: the loop is unrolled, its f-string known
        (33, "UPDATE notes SET label='new' WHERE notes.label LIKE '%old%'", True),
        # a WHERE that can match rows, a SET of NULL: never sent
        (34, "UPDATE shops SET owner_id=NULL WHERE shops.id = 1", False),
        # the revision's own functions, followed with their arguments
        (15, "SELECT notes.id, notes.label FROM notes WHERE notes.label = 'welcome' LIMIT 1", True),
        (20, "INSERT INTO notes (label) VALUES ('welcome')", True),
        # an imported constant is known only at run time: NULL, and an INSERT is never sent
        (15, "SELECT notes.id, notes.label FROM notes WHERE notes.label = NULL LIMIT 1", True),
        (20, "INSERT INTO notes (label) VALUES (NULL)", False),
    ]
    notes = [(f.location.line, f.message) for f in migration.findings if f.rule == "run-time-value"]
    assert [line for line, _ in notes] == [15, 20, 25, 26, 29, 30, 34]
    assert notes[2] == (
        25,
        "the loop over `bind.execute(shops.select())`: its values are known only at run time; "
        "its body runs once per value (perhaps never), and pgfence analysed it once",
    )
    assert notes[3] == (
        26,
        "bind.execute: the value compared with staff.shop_id (`shop.id`), known only at run "
        "time: analysed with NULL in its place (the statement's table locks do not depend on "
        "it); a dry-run runs it as written here (it only reads)",
    )
    assert notes[1][1].startswith("bind.execute: the value of `label` (the variable `label`)")
    assert notes[-1][1].endswith("a dry-run does not run it (it could write NULL into a row)")
    # the `if`, read once though its loop is unrolled
    assert [f.location.line for f in migration.findings if f.rule == "unanalysable"] == [36]
    assert (migration.calls_seen, migration.calls_extracted) == (9, 9)


ALEMBIC_DRY_RUN = """\
from alembic import op
import sqlalchemy as sa

revision = "b1b2c3d4e5f6"
down_revision = None

accounts = sa.table(
    "accounts", sa.column("id", sa.Integer), sa.column("label", sa.Text),
    sa.column("position", sa.Integer),
)


def upgrade():
    bind = op.get_bind()
    for row in bind.execute(accounts.select().where(accounts.c.position > 0)):
        bind.execute(
            accounts.update().where(accounts.c.id == row.id).values(position=row.position)
        )
    top = bind.execute(accounts.select().order_by(accounts.c.id).limit(1)).fetchone()
    bind.execute(accounts.update().where(accounts.c.id == 1).values(label=top.label))
    op.execute(
        "DO $$ BEGIN IF (SELECT count(*) FROM accounts WHERE label IS NOT NULL"
        " AND position IS NOT NULL) <> 2 THEN RAISE EXCEPTION 'a row was written'; END IF; END $$"
    )
"""


@pytest.mark.postgres
def test_an_alembic_dry_run_runs_placeholder_updates_that_write_no_row_and_no_other(
    pg, tmp_path, database_name
):
    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE accounts (id int PRIMARY KEY, label text NOT NULL, position int);"
        "INSERT INTO accounts VALUES (1, 'one', 1), (2, 'two', 2);"
    )
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "b1b2c3d4e5f6_positions.py").write_text(ALEMBIC_DRY_RUN)
    migrations = load_migrations([str(folder)], fmt="alembic")
    options = DryRunOptions(schema_file=str(schema), isolate=False, database=database_name)
    report = dry_run(pg, migrations, options)
    outcome = [
        (s.statement.sql.split(" WHERE ")[0], s.observation.ran, s.observation.error)
        for s in report.statements
    ]
    assert outcome == [
        ("SELECT accounts.id, accounts.label, accounts.position FROM accounts", True, None),
        ("UPDATE accounts SET position=NULL", True, None),
        (
            "SELECT accounts.id, accounts.label, accounts.position FROM accounts ORDER BY "
            "accounts.id LIMIT 1",
            True,
            None,
        ),
        ("UPDATE accounts SET label=NULL", False, None),
        (outcome[4][0], True, None),
    ]
    unsent = report.statements[3].observation.not_run_reason
    assert unsent is not None and "could write NULL into a row" in unsent
