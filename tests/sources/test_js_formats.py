"""TypeORM, Knex and Sequelize migrations read with tree-sitter: calls -> the tools' SQL."""

from pathlib import Path

from pgfence.model import TxScope
from pgfence.sources import load_migrations

FIXTURES = Path(__file__).parent / "fixtures"


def rows(migration):
    return [(s.location.line, s.origin, s.sql) for s in migration.statements]


def gaps(migration):
    return [(f.rule, f.location.line) for f in migration.findings]


def test_typeorm_queries_and_builder_calls_share_the_default_all_transaction():
    create, team, concurrent = load_migrations([str(FIXTURES / "typeorm")])
    assert {m.format for m in (create, team, concurrent)} == {"typeorm"}
    assert rows(create)[1] == (
        8,
        "queryRunner.query",
        'ALTER TABLE "user" ADD "age" integer NOT NULL DEFAULT 0',
    )
    assert rows(team) == [
        (7, "queryRunner.addColumn", 'ALTER TABLE "user" ADD "teamId" int'),
        (
            11,
            "queryRunner.createForeignKey",
            'ALTER TABLE "user" ADD CONSTRAINT "FK_1e89f1fd137dc7fea7242377e25" FOREIGN KEY ("teamId") REFERENCES "team"("id") ON DELETE CASCADE',
        ),
        (20, "queryRunner.createIndex", 'CREATE UNIQUE INDEX "IDX_user_email" ON "user" ("email")'),
        (21, "queryRunner.query", 'UPDATE "PREFIXuser" SET "age" = 1 WHERE "age" = 0'),
        # TypeORM reads the column back as `character varying`: "varchar" is a type change,
        # so it drops the column and adds it again
        (22, "queryRunner.changeColumn", 'ALTER TABLE "user" DROP COLUMN "email"'),
        (22, "queryRunner.changeColumn", 'ALTER TABLE "user" ADD "email" varchar(320) NOT NULL'),
    ]
    assert gaps(team) == [
        # the `${}` query is seen, not counted as turned into SQL
        ("extraction-coverage", 1),
        ("unanalysable", 21),
        ("typeorm-assumption", 22),
        ("typeorm-assumption", 22),
    ]
    assert "${PREFIX}" in team.findings[1].message and "changeColumn" in team.findings[2].message
    blocks = {
        (s.transaction.scope, s.transaction.block) for m in (create, team) for s in m.statements
    }
    assert blocks == {(TxScope.RUNNER, 1)}
    assert concurrent.statements[0].transaction.scope is TxScope.AUTOCOMMIT
    assert gaps(concurrent) == [("typeorm-transaction-false", 4)]


def test_knex_builder_chains_become_knex_pg_sql():
    create, alter, concurrent, _more = load_migrations([str(FIXTURES / "knex")])
    assert {m.format for m in (create, alter, concurrent)} == {"knex"}
    assert rows(create) == [
        (
            2,
            "knex.schema.createTable",
            'create table "teams" ("id" serial primary key, "name" varchar(255) not null, "active" boolean default \'0\')',
        ),
    ]
    assert rows(alter) == [
        (
            2,
            "knex.schema.alterTable",
            'alter table "users" add column "code" varchar(64) not null default \'x\', add column "team_id" integer',
        ),
        (
            2,
            "knex.schema.alterTable",
            'alter table "users" add constraint "users_team_id_foreign" foreign key ("team_id") references "teams" ("id") on delete CASCADE',
        ),
        (2, "knex.schema.alterTable", 'create index "users_code_index" on "users" ("code")'),
        (7, "knex.schema.alterTable", 'alter table "users" alter column "name" drop default'),
        (7, "knex.schema.alterTable", 'alter table "users" alter column "name" drop not null'),
        (
            7,
            "knex.schema.alterTable",
            'alter table "users" alter column "name" type varchar(500) using ("name"::varchar(500))',
        ),
        (7, "knex.schema.alterTable", 'alter table "users" alter column "name" set not null'),
        (10, "knex.raw", "UPDATE users SET code = 'y' WHERE code IS NULL"),
    ]
    # One transaction per migration, none with config.transaction = false.
    assert {s.transaction.block for s in alter.statements} != {
        s.transaction.block for s in create.statements
    }
    assert concurrent.statements[0].transaction.scope is TxScope.AUTOCOMMIT
    # A loop over a literal array is read once per element, its variable written in.
    assert rows(concurrent)[1:] == [
        (6, "knex.schema.alterTable", 'alter table "users" add column "note" varchar(255)'),
        (6, "knex.schema.alterTable", 'alter table "teams" add column "note" varchar(255)'),
    ]
    assert gaps(concurrent) == []


def test_sequelize_calls_and_transaction_callbacks():
    create, users, _more = load_migrations([str(FIXTURES / "sequelize")])
    assert {m.format for m in (create, users)} == {"sequelize"}
    assert rows(create) == [
        (
            6,
            "queryInterface.createTable",
            'CREATE TABLE IF NOT EXISTS "teams" ("id"  SERIAL , "name" VARCHAR(255) NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY ("id"))',
        ),
    ]
    assert [
        (line, scope)
        for line, scope in ((s.location.line, s.transaction.scope) for s in users.statements)
    ] == [
        (6, TxScope.RUNNER),
        (12, TxScope.RUNNER),
        (12, TxScope.RUNNER),
        (12, TxScope.RUNNER),
        (13, TxScope.RUNNER),
        (15, TxScope.AUTOCOMMIT),
        (16, TxScope.AUTOCOMMIT),
    ]
    assert (
        users.statements[0].sql
        == 'ALTER TABLE "public"."users" ADD COLUMN "teamId" INTEGER REFERENCES "teams" ("id") ON DELETE CASCADE'
    )
    assert (
        users.statements[5].sql
        == 'CREATE INDEX CONCURRENTLY "users_email_name" ON "users" ("email", "name")'
    )


def test_broken_typescript_is_a_finding_and_the_rest_is_read(tmp_path):
    path = tmp_path / "1700000000000-Broken.ts"
    path.write_text(
        "export class Broken1700000000000 implements MigrationInterface {\n"
        "  public async up(queryRunner: QueryRunner): Promise<void> {\n"
        '    await queryRunner.query(`ALTER TABLE "a" ADD "b" int`);\n'
        "    await queryRunner.query(((;\n"
        "  }\n"
        "}\n"
    )
    [migration] = load_migrations([str(path)], fmt="typeorm")
    assert [s.sql for s in migration.statements][:1] == ['ALTER TABLE "a" ADD "b" int']
    assert ("parse-error", 4) in gaps(migration)


def test_every_branch_of_if_else_if_switch_and_try_is_read_braces_or_not(tmp_path):
    path = tmp_path / "1700000000000-Branches.ts"
    path.write_text(
        "export class Branches1700000000000 implements MigrationInterface {\n"
        "  public async up(queryRunner: QueryRunner): Promise<void> {\n"
        "    if (a) { await queryRunner.query(`SELECT 'A'`) }\n"
        "    else if (b) { await queryRunner.query(`SELECT 'B'`) }\n"
        "    else await queryRunner.query(`SELECT 'C'`);\n"
        "    if (d) await queryRunner.query(`SELECT 'D'`);\n"
        "    switch (e) {\n"
        "      case 1: await queryRunner.query(`SELECT 'E'`); break;\n"
        "      default: await queryRunner.query(`SELECT 'F'`);\n"
        "    }\n"
        "    try { await queryRunner.query(`SELECT 'G'`) }\n"
        "    catch (err) { await queryRunner.query(`SELECT 'H'`) }\n"
        "    finally { await queryRunner.query(`SELECT 'I'`) }\n"
        "  }\n"
        "}\n"
    )
    [migration] = load_migrations([str(path)], fmt="typeorm")
    assert [(s.location.line, s.sql) for s in migration.statements] == [
        (3, "SELECT 'A'"),
        (4, "SELECT 'B'"),
        (5, "SELECT 'C'"),
        (6, "SELECT 'D'"),
        (8, "SELECT 'E'"),
        (9, "SELECT 'F'"),
        (11, "SELECT 'G'"),
        (12, "SELECT 'H'"),
        (13, "SELECT 'I'"),
    ]
    # One gap per conditional statement: an else-if chain is one.
    assert gaps(migration) == [
        ("unanalysable", 3),
        ("unanalysable", 6),
        ("unanalysable", 7),
        ("unanalysable", 11),
    ]


def test_knex_raw_bindings_are_written_into_the_statement(tmp_path):
    """knex.raw(sql, bindings), as knex sends it: `?` values and `??` identifiers from an
    array, `:name` values and `:name:` identifiers from an object, `\\?` a question mark."""
    path = tmp_path / "20240101000000_data.js"
    path.write_text(
        "exports.up = async function (knex) {\n"
        "  await knex.raw('UPDATE ?? SET email = ? WHERE id = ?', ['accounts', \"it's\", 7]);\n"
        "  await knex.raw('UPDATE :t: SET note = :n, at = now()::date', { t: 'accounts', n: null });\n"
        "  await knex.raw(\"SELECT '{\\\"a\\\":1}'::jsonb \\\\? 'a' AS has, ?\", [true]);\n"
        "  await knex.raw('UPDATE accounts SET n = ?', [someVariable]);\n"
        "};\n"
        "exports.down = async function () {};\n"
    )
    [migration] = load_migrations([str(path)], fmt="knex")
    assert [s.sql for s in migration.statements] == [
        "UPDATE \"accounts\" SET email = 'it''s' WHERE id = 7",
        'UPDATE "accounts" SET note = NULL, at = now()::date',
        "SELECT '{\"a\":1}'::jsonb ? 'a' AS has, true",
    ]
    assert all(s.parse_error is None for s in migration.statements)
    assert ("unanalysable", 5) in gaps(migration)  # a binding that is not a literal


def test_sequelize_replacements_and_bind_parameters_are_written_into_the_statement(tmp_path):
    path = tmp_path / "20240101000000-data.js"
    path.write_text(
        "module.exports = {\n"
        "  async up(queryInterface) {\n"
        "    await queryInterface.sequelize.query('UPDATE accounts SET email = :e WHERE id = :i AND at < now()::date', { replacements: { e: \"it's\", i: 1 } });\n"
        "    await queryInterface.sequelize.query('UPDATE accounts SET email = ? WHERE id = ?', { replacements: ['y', 2] });\n"
        "    await queryInterface.sequelize.query('UPDATE accounts SET email = $1, n = $2', { bind: ['z', null] });\n"
        "  },\n"
        "  async down() {},\n"
        "};\n"
    )
    [migration] = load_migrations([str(path)], fmt="sequelize")
    assert [s.sql for s in migration.statements] == [
        "UPDATE accounts SET email = 'it''s' WHERE id = 1 AND at < now()::date",
        "UPDATE accounts SET email = 'y' WHERE id = 2",
        "UPDATE accounts SET email = 'z', n = NULL",
    ]


def test_typeorm_query_parameters_are_written_into_the_statement(tmp_path):
    path = tmp_path / "1700000000000-Data.ts"
    path.write_text(
        "export class Data1700000000000 implements MigrationInterface {\n"
        "  public async up(queryRunner: QueryRunner): Promise<void> {\n"
        '    await queryRunner.query(`UPDATE "accounts" SET "email" = $1 WHERE "id" = $2`, ["x", 5]);\n'
        "  }\n"
        "}\n"
    )
    [migration] = load_migrations([str(path)], fmt="typeorm")
    assert [s.sql for s in migration.statements] == [
        """UPDATE "accounts" SET "email" = 'x' WHERE "id" = 5"""
    ]


def test_sequelize_files_are_umzug_s_top_level_files_in_string_order(tmp_path):
    # sequelize-cli runs the files of its migrations folder, sorted as strings; a helper
    # in a folder inside it is not a migration.
    folder = tmp_path / "migrations"
    (folder / "helpers").mkdir(parents=True)
    body = (
        "module.exports = {{ async up(queryInterface, Sequelize) {{\n"
        "  await queryInterface.sequelize.query('SELECT {n}');\n}} }};\n"
    )
    for name, n in (("2-second.js", 2), ("10-first.js", 10), ("helpers/3-helper.js", 3)):
        (folder / name).write_text(body.format(n=n))
    names = [Path(m.path).name for m in load_migrations([str(tmp_path)], fmt="sequelize")]
    assert names == ["10-first.js", "2-second.js"]


def test_knex_branches_on_the_database_dialect_run_their_postgresql_branch(tmp_path):
    # wiki.js 2.x's pattern: one history for several databases, branching on the dialect
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240101000000_dialects.js").write_text(
        """
exports.up = async knex => {
  const dbCompat = {
    blobLength: (WIKI.config.db.type === `mysql` || WIKI.config.db.type === `mariadb`),
  }
  switch (WIKI.config.db.type) {
    case 'mssql':
      await knex.raw('ALTER TABLE t ADD x NVARCHAR(10)')
      break
    case 'postgres':
    case 'sqlite':
      await knex.raw('ALTER TABLE t ADD x text')
      break
  }
  await knex.schema.createTable('assets', table => {
    if (dbCompat.blobLength) {
      table.specificType('data', 'LONGBLOB').notNullable()
    } else {
      table.binary('data').notNullable()
    }
    if (WIKI.config.db.type !== 'postgres') { table.charset('utf8mb4') }
  })
}
"""
    )
    [migration] = load_migrations([str(folder)], fmt="knex")
    assert [s.sql for s in migration.statements] == [
        "ALTER TABLE t ADD x text",
        'create table "assets" ("data" bytea not null)',
    ]
    assert [f.rule for f in migration.findings] == []
    assert (migration.calls_seen, migration.calls_extracted) == (2, 2)


def test_a_condition_not_on_the_dialect_is_still_every_branch_with_a_finding(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240101000000_flag.js").write_text(
        "exports.up = async knex => {\n"
        "  if (process.env.BIG === 'mysql-like') { await knex.raw('SELECT 1') }\n"
        "}\n"
    )
    [migration] = load_migrations([str(folder)], fmt="knex")
    assert [f.rule for f in migration.findings] == ["unanalysable"]
    assert [s.sql for s in migration.statements] == ["SELECT 1"]


def test_a_variable_assigned_before_a_query_is_written_in(tmp_path):
    # outline's pattern: `let tableName; tableName = "…";` then `${tableName}` in the SQL;
    # and a query whose result is assigned still runs
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240101000000-cascades.js").write_text(
        "module.exports = {\n"
        "  up: async (queryInterface) => {\n"
        "    let tableName;\n"
        '    tableName = "shares";\n'
        '    await queryInterface.sequelize.query(`alter table "${tableName}" drop constraint "c"`);\n'
        '    tableName = "stars";\n'
        '    await queryInterface.sequelize.query(`alter table "${tableName}" drop constraint "c"`);\n'
        "    let rows;\n"
        '    [rows] = await queryInterface.sequelize.query(`update "stars" set "n" = 0`);\n'
        "  },\n"
        "};\n"
    )
    [migration] = load_migrations([str(folder)], fmt="sequelize")
    assert [s.sql for s in migration.statements] == [
        'alter table "shares" drop constraint "c"',
        'alter table "stars" drop constraint "c"',
        'update "stars" set "n" = 0',
    ]
    assert [f.rule for f in migration.findings] == []


def test_sequelize_unmanaged_transaction_holds_its_calls_until_commit(tmp_path):
    # outline's pattern: Sequelize sends START TRANSACTION at transaction(), COMMIT at
    # commit(); the catch rethrows, so a successful run is the try body.
    path = tmp_path / "20240101000000-tx.js"
    path.write_text(
        "module.exports = {\n"
        "  async up(queryInterface, Sequelize) {\n"
        "    const transaction = await queryInterface.sequelize.transaction();\n"
        "    try {\n"
        "      await queryInterface.addColumn('t', 'a', Sequelize.INTEGER, { transaction });\n"
        "      await queryInterface.removeColumn('t', 'b', { transaction });\n"
        "      await queryInterface.removeColumn('t', 'c');\n"
        "      await transaction.commit();\n"
        "    } catch (err) {\n"
        "      await transaction.rollback();\n"
        "      throw err;\n"
        "    }\n"
        "    await queryInterface.removeColumn('t', 'd', { transaction });\n"
        "    await queryInterface.addColumn('t', 'e', { type: Sequelize.STRING, defaultValue: process.env.LANG_DEFAULT });\n"
        "  },\n"
        "  async down() {},\n"
        "};\n"
    )
    [migration] = load_migrations([str(path)], fmt="sequelize")
    scopes = [s.transaction.scope for s in migration.statements]
    assert scopes == [TxScope.RUNNER, TxScope.RUNNER, TxScope.AUTOCOMMIT, TxScope.AUTOCOMMIT]
    first, second = migration.statements[:2]
    assert first.transaction == second.transaction
    [gap] = [f.message for f in migration.findings if f.rule == "unanalysable"]
    assert (
        "the default is the environment variable LANG_DEFAULT, read when the migration runs" in gap
    )


def test_a_loop_that_stops_at_the_first_value_that_works_is_read_with_the_first_and_not_sent(
    tmp_path,
):
    """outline's "try each constraint name until one works": which name it ends on is
    decided when it runs; sending the first alone would make a dry-run fail on a name that
    is not there, and reading both would count both. Its body is read once, with the first
    name (the statements differ in nothing else), noted, and never sent."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20191118023010-cascade.js").write_text(
        "const names = ['a_fkey', 'a_foreign_idx'];\n"
        "module.exports = {\n"
        "  up: async (queryInterface) => {\n"
        "    let error;\n"
        "    for (const name of names) {\n"
        "      try {\n"
        '        await queryInterface.sequelize.query(`alter table "a" drop constraint "${name}"`);\n'
        "        return;\n"
        "      } catch (err) {\n"
        "        error = err;\n"
        "      }\n"
        "    }\n"
        "    throw error;\n"
        "  },\n"
        "};\n"
    )
    (folder / "20191118023011-every.js").write_text(
        "module.exports = {\n"
        "  up: async (queryInterface) => {\n"
        "    for (const name of ['a', 'b']) {\n"
        '      await queryInterface.sequelize.query(`alter table "${name}" add column "x" int`);\n'
        "    }\n"
        "  },\n"
        "};\n"
    )
    search, every = load_migrations([str(folder)], fmt="sequelize")
    assert [(s.sql, s.refused) for s in search.statements] == [
        (
            'alter table "a" drop constraint "a_fkey"',
            "the loop over `names` runs it with one of its values, known only at run time: "
            "not sent",
        )
    ]
    assert [f.message for f in search.findings if f.rule == "run-time-value"] == [
        "the loop over `names` can leave it early (return, break): which of its values its "
        "statements run with is known only at run time; pgfence analysed them with the "
        "first, 'a_fkey', and a dry-run does not run them"
    ]
    assert not [f for f in search.findings if f.rule == "unanalysable" and "name" in f.message]
    assert (search.calls_seen, search.calls_extracted) == (1, 1)
    assert [s.sql for s in every.statements] == [
        'alter table "a" add column "x" int',
        'alter table "b" add column "x" int',
    ]
