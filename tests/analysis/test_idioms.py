"""Index builds and drops: the safe rewrite said in the migration tool's own language."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgfence.api import analyze

ALEMBIC = """\
revision = "a1"
down_revision = None
from alembic import op


def upgrade():
    op.create_index("accounts_email_idx", "accounts", ["email"], unique=True)
    op.drop_index("accounts_old_idx", table_name="accounts")
    op.execute("CREATE INDEX accounts_lower_idx ON accounts (lower(email))")
"""
DJANGO = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["name"], name="item_name_idx"),
        ),
        migrations.RunSQL("CREATE INDEX item_price_idx ON shop_item (price);"),
    ]
"""
SEQUELIZE = """\
"use strict";
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addIndex("accounts", ["email"], { name: "accounts_email_idx" });
  },
  async down() {},
};
"""
KNEX = """\
exports.up = async function (knex) {
  await knex.schema.alterTable("accounts", (t) => {
    t.index(["email"], "accounts_email_idx");
  });
};
exports.down = async function (knex) {};
"""
TYPEORM = """\
import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

export class AddIdx1700000000000 implements MigrationInterface {
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.createIndex("accounts", new TableIndex({ name: "accounts_email_idx", columnNames: ["email"] }));
    }
    public async down(queryRunner: QueryRunner): Promise<void> {}
}
"""


def _recipe(report, rule: str = "create-index-blocks-writes", line: int | None = None) -> str:
    found = [
        f
        for f in report.all_findings()
        if f.rule == rule and (line is None or f.location.line == line)
    ]
    assert found, [f.rule for f in report.all_findings()]
    return "\n".join(found[0].recipe)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_alembic_gets_autocommit_block_and_postgresql_concurrently(tmp_path):
    path = _write(tmp_path / "versions" / "a1_idx.py", ALEMBIC)
    report = analyze(path.parent, migration_format="alembic")
    assert _recipe(report, line=7) == (
        "# Alembic: outside the migration's transaction\n"
        "with op.get_context().autocommit_block():\n"
        "    op.create_index(\n"
        '        "accounts_email_idx",\n'
        '        "accounts",\n'
        '        ["email"],\n'
        "        unique=True,\n"
        "        postgresql_concurrently=True,\n"
        "        if_not_exists=True,\n"
        "    )"
    )
    assert _recipe(report, "drop-index-blocks-reads") == (
        "# Alembic: outside the migration's transaction\n"
        "with op.get_context().autocommit_block():\n"
        '    op.drop_index("accounts_old_idx", postgresql_concurrently=True, if_exists=True)'
    )
    # An expression index has no op.create_index form: its SQL, in the block.
    assert _recipe(report, line=9).endswith(
        '    op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_lower_idx '
        'ON accounts ((lower(email)));")'
    )


def test_django_gets_add_index_concurrently_in_a_non_atomic_migration(tmp_path):
    path = _write(tmp_path / "shop" / "migrations" / "0002_idx.py", DJANGO)
    _write(tmp_path / "shop" / "migrations" / "__init__.py", "")
    report = analyze(path, migration_format="django")
    add_index, run_sql = (
        "\n".join(f.recipe) for f in report.all_findings() if f.rule == "create-index-blocks-writes"
    )
    assert add_index == (
        "# Django: a migration of its own that is not atomic\n"
        "from django.contrib.postgres.operations import AddIndexConcurrently\n\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [AddIndexConcurrently(...)]  # the AddIndex's own arguments"
    )
    assert run_sql.endswith(
        '    operations = [migrations.RunSQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS '
        'item_price_idx ON shop_item (price);")]'
    )


@pytest.mark.parametrize(
    ("fmt", "name", "source", "expected"),
    [
        (
            "sequelize",
            "migrations/20240101000000-idx.js",
            SEQUELIZE,
            "// Sequelize: without a transaction (no { transaction } option, not in "
            "sequelize.transaction())\n"
            'await queryInterface.addIndex("accounts", ["email"], '
            '{ name: "accounts_email_idx", concurrently: true });',
        ),
        (
            "knex",
            "migrations/20240101000000_idx.js",
            KNEX,
            "// Knex: run this migration without a transaction (knex has no CONCURRENTLY "
            "option)\nexport const config = { transaction: false };  "
            "// CommonJS: exports.config = { transaction: false };\n"
            'await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx '
            'ON accounts (email);");',
        ),
        (
            "typeorm",
            "src/migrations/1700000000000-AddIdx.ts",
            TYPEORM,
            "// TypeORM: in the migration class, run it without a transaction\n"
            "transaction = false;\n"
            'await queryRunner.query("CREATE INDEX CONCURRENTLY IF NOT EXISTS '
            'accounts_email_idx ON accounts (email);");',
        ),
    ],
)
def test_js_tools_get_their_own_switch(tmp_path, fmt, name, source, expected):
    path = _write(tmp_path / name, source)
    report = analyze(path, migration_format=fmt)
    assert _recipe(report) == expected


def test_sql_tools_that_wrap_a_file_are_told_the_migration_to_create(tmp_path):
    prisma = tmp_path / "prisma" / "migrations"
    _write(prisma / "migration_lock.toml", 'provider = "postgresql"\n')
    _write(
        prisma / "20240101000000_x" / "migration.sql",
        'ALTER TABLE "accounts" ADD COLUMN "note" TEXT;\n'
        'CREATE INDEX "accounts_email_idx" ON "accounts"("email");\n',
    )
    recipe = _recipe(analyze(prisma))
    folder = prisma / "20240101000000_x_2_index" / "migration.sql"
    assert recipe == (
        "-- Prisma sends migration.sql as one query, one transaction: split this into its "
        f"own migration, {folder}, holding only:\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"
    )
    assert "COMMIT" not in recipe
    flyway = _write(
        tmp_path / "flyway" / "V3__idx.sql",
        "ALTER TABLE accounts ADD COLUMN note text;\nCREATE INDEX accounts_email_idx ON accounts (email);\n",
    )
    assert _recipe(analyze(flyway.parent)).startswith(
        "-- Flyway runs this script in a transaction: split this into its own script, "
        f"{flyway.parent / 'V3.1__idx_index.sql'}, holding only (Flyway runs it without one):\n"
    )


def test_a_build_alone_in_its_prisma_file_keeps_the_sql_recipe(tmp_path):
    prisma = tmp_path / "prisma" / "migrations"
    _write(prisma / "migration_lock.toml", 'provider = "postgresql"\n')
    _write(
        prisma / "20240101000000_x" / "migration.sql",
        'CREATE INDEX "accounts_email_idx" ON "accounts"("email");\n',
    )
    assert _recipe(analyze(prisma)) == (
        "-- outside any transaction block:\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"
    )


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX a_idx ON accounts (email)",
        "CREATE UNIQUE INDEX a_idx ON accounts (email)",
        "CREATE INDEX IF NOT EXISTS a_idx ON accounts (email)",
        "CREATE UNIQUE INDEX IF NOT EXISTS a_idx ON accounts USING btree (lower(email))",
        "CREATE INDEX CONCURRENTLY a_idx ON accounts (email)",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON accounts (email) WHERE x",
        "CREATE INDEX ON accounts (email)",
        "CREATE INDEX CONCURRENTLY ON ONLY accounts (email)",
        'CREATE INDEX "IF NOT EXISTS" ON accounts (email)',
    ],
)
def test_the_concurrent_text_is_what_postgres_prints_for_the_tree_set_so(sql):
    from pglast import parse_sql
    from pglast.stream import RawStream

    from pgfence.analysis.expressions import build_concurrently

    node = parse_sql(sql)[0].stmt
    expected = parse_sql(sql)[0].stmt
    expected.concurrent, expected.if_not_exists = True, bool(expected.idxname)
    text = build_concurrently(RawStream()(node), named=bool(node.idxname))
    assert text == RawStream()(expected)
    parse_sql(text)  # and it is SQL


@pytest.mark.parametrize("unique", ["", "UNIQUE "])
def test_an_index_that_says_if_not_exists_gets_it_once_in_its_recipe(tmp_path, unique):
    statement = f"CREATE {unique}INDEX IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
    plain = _write(tmp_path / "plain" / "0001_idx.sql", statement)
    expected = (
        f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"
    )
    assert _recipe(analyze(plain)).endswith(f"\n{expected}")
    knex = _write(
        tmp_path / "knex" / "migrations" / "20240101000000_idx.js",
        f'exports.up = async (knex) => {{ await knex.raw("{statement.strip()}"); }};\n'
        "exports.down = async () => {};\n",
    )
    assert _recipe(analyze(knex, migration_format="knex")).endswith(f'knex.raw("{expected}");')


def test_a_concurrent_build_without_if_not_exists_is_told_to_add_it(tmp_path):
    path = _write(
        tmp_path / "migrations" / "20240101000000_idx.js",
        'exports.up = async (knex) => { await knex.raw("CREATE INDEX CONCURRENTLY a_idx ON t (c)"); };\n'
        "exports.config = { transaction: false };\nexports.down = async () => {};\n",
    )
    recipe = _recipe(analyze(path, migration_format="knex"), "concurrently-without-if-exists")
    assert 'knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON t (c);")' in recipe
