"""Alembic revisions read statically: op.* calls -> the SQL Alembic emits on PostgreSQL."""

import re
from pathlib import Path

import pytest

from pgfence.model import TxScope
from pgfence.sources import load_migrations

ALEMBIC = Path(__file__).parent / "fixtures" / "alembic"


def load():
    return {Path(m.path).name.split("_", 1)[0]: m for m in load_migrations([str(ALEMBIC)])}


def test_revisions_follow_the_down_revision_graph_including_the_merge():
    order = [Path(m.path).name.split("_", 1)[0] for m in load_migrations([str(ALEMBIC)])]
    assert order[0] == "3f2a9c1d0b7e" and order[-1] == "e7d19a3b5c61"
    assert set(order[1:3]) == {"a81c44e0f1d2", "0c5be1f2aa90"}
    assert {m.format for m in load().values()} == {"alembic"}


def test_op_calls_become_alembics_sql_at_the_calls_line():
    revisions = load()
    rows = [(s.location.line, s.origin, s.sql) for s in revisions["a81c44e0f1d2"].statements]
    assert rows == [
        (
            16,
            "op.add_column",
            "ALTER TABLE accounts ADD COLUMN plan VARCHAR(32) DEFAULT 'free' NOT NULL",
        ),
        (17, "op.add_column", "ALTER TABLE accounts ADD COLUMN team_id BIGINT"),
        (
            17,
            "op.add_column",
            "ALTER TABLE accounts ADD FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE CASCADE",
        ),
        (21, "op.alter_column", "ALTER TABLE accounts ALTER COLUMN email TYPE TEXT"),
        (22, "op.execute", "UPDATE accounts SET plan = 'pro' WHERE email LIKE '%@example.com'"),
    ]
    assert all(s.parsed for s in revisions["a81c44e0f1d2"].statements)
    create = revisions["3f2a9c1d0b7e"].statements
    assert [s.sql for s in create] == [
        "CREATE TABLE accounts (id SERIAL NOT NULL, email VARCHAR(255) NOT NULL, settings JSONB, PRIMARY KEY (id))",
        "CREATE UNIQUE INDEX ix_accounts_email ON accounts (email)",
    ]


def test_one_transaction_for_the_run_split_by_autocommit_block():
    revisions = load()
    first = revisions["3f2a9c1d0b7e"].statements
    index = revisions["0c5be1f2aa90"].statements
    assert [(s.location.line, s.location.column) for s in index] == [(15, 9), (22, 5)]
    assert index[0].sql == (
        "CREATE INDEX CONCURRENTLY ix_accounts_created ON accounts (email) WHERE settings IS NOT NULL"
    )
    assert index[0].transaction.scope is TxScope.AUTOCOMMIT
    # Before the autocommit block: the run's transaction; after it, a new one that goes on
    # into the next revisions.
    assert first[0].transaction.scope is TxScope.RUNNER
    after = index[1].transaction
    assert after.scope is TxScope.RUNNER and after.block != first[0].transaction.block
    rest = [s.transaction for m in list(revisions.values())[2:] for s in m.statements]
    assert {t.block for t in rest} == {after.block}


def test_batch_ops_constants_bind_execute_and_gaps():
    merge = load()["e7d19a3b5c61"]
    rows = [(s.location.line, s.origin, s.sql) for s in merge.statements]
    assert rows == [
        (
            22,
            "batch_op.add_column",
            "ALTER TABLE accounts ADD COLUMN deleted_at TIMESTAMP WITH TIME ZONE",
        ),
        (23, "batch_op.alter_column", "ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL"),
        (23, "batch_op.alter_column", "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT"),
        (24, "op.execute", "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'trial'"),
        # `for table in TABLES:` over a module constant: once per table, f-string filled in
        (26, "op.execute", "ANALYZE accounts"),
        (26, "op.execute", "ANALYZE teams"),
        (29, "conn.execute", "DELETE FROM accounts WHERE deleted_at < now() - interval '1 year'"),
        (
            30,
            "op.create_foreign_key",
            "ALTER TABLE accounts ADD CONSTRAINT fk_accounts_team FOREIGN KEY(team_id) REFERENCES teams (id) NOT VALID",
        ),
    ]
    assert merge.statements[-1].ignored_rules == {"foreign-key-validation"}
    gaps = [(f.rule, f.location.line) for f in merge.findings]
    assert gaps == [("extraction-coverage", 1), ("unanalysable", 27)]
    assert "add_audit_columns" in merge.findings[1].message


def test_transaction_per_migration_in_env_py_gives_each_revision_its_own(tmp_path):
    import shutil

    root = tmp_path / "alembic"
    shutil.copytree(ALEMBIC, root)
    env = root / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata=None", "target_metadata=None, transaction_per_migration=True"
        )
    )
    migrations = load_migrations([str(root / "versions")])
    blocks = [
        {s.transaction.block for s in m.statements if s.transaction.scope is TxScope.RUNNER}
        for m in migrations
    ]
    assert len(blocks[0] | blocks[1]) == 2


def test_broken_python_is_a_parse_error_finding_not_a_crash(tmp_path):
    path = tmp_path / "1234_broken.py"
    path.write_text(
        'revision = "1234"\ndown_revision = None\n\ndef upgrade(:\n    op.add_column()\n'
    )
    [migration] = load_migrations([str(path)], fmt="alembic")
    assert migration.statements == ()
    [finding] = migration.findings
    assert finding.rule == "parse-error" and finding.location.line == 4


def test_f_string_sql_and_unknown_ops_are_unanalysable(tmp_path):
    path = tmp_path / "abcd_x.py"
    path.write_text(
        "from alembic import op\nrevision = 'abcd'\ndown_revision = None\n\n"
        "def upgrade():\n"
        "    name = compute()\n"
        "    op.execute(f'DROP TABLE {name}')\n"
        "    op.run_async(PGFunction('public', 'f()', 'returns int as $$ select 1 $$'))\n"
        "    op.drop_column('t', 'c')\n"
    )
    [migration] = load_migrations([str(tmp_path)])
    assert [s.sql for s in migration.statements] == ["ALTER TABLE t DROP COLUMN c"]
    messages = {f.location.line: f.message for f in migration.findings if f.rule == "unanalysable"}
    assert "f-string" in messages[7] and "not translated" in messages[8]


def _render_with_alembic(path):
    """What Alembic itself prints for a revision, offline (dev check: runs the fixture)."""
    import importlib.util
    import io

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": buffer}
    )
    spec = importlib.util.spec_from_file_location("revision_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Operations.context(context):
        module.upgrade()
    statements = [" ".join(s.split()) for s in buffer.getvalue().split(";\n") if s.strip()]
    # The autocommit block prints as COMMIT / … / BEGIN: pgfence models it as a transaction
    # boundary instead of statements.
    statements = [s for s in statements if s not in ("COMMIT", "BEGIN")]
    # Offline mode doubles % for DBAPI paramstyle; normalise "( a" / "a )" spacing of CREATE TABLE.
    return [re.sub(r"\( ", "(", re.sub(r" \)", ")", s)).replace("%%", "%") for s in statements]


@pytest.mark.parametrize("revision", ["3f2a9c1d0b7e", "a81c44e0f1d2", "0c5be1f2aa90"])
def test_static_translation_matches_alembics_own_rendering(revision):
    pytest.importorskip("alembic")
    migration = load()[revision]
    assert [s.sql for s in migration.statements] == _render_with_alembic(migration.path)


def test_server_default_none_means_no_default_as_in_alembic(tmp_path):
    path = tmp_path / "abcd_x.py"
    path.write_text(
        "from alembic import op\nimport sqlalchemy as sa\n"
        "revision = 'abcd'\ndown_revision = None\nNO_DEFAULT = None\n\n"
        "def upgrade():\n"
        "    op.add_column('t', sa.Column('a', sa.Integer(), server_default=None))\n"
        "    op.add_column('t', sa.Column('b', sa.Integer(), server_default=NO_DEFAULT))\n"
        "    op.alter_column('t', 'c', server_default=NO_DEFAULT)\n"
        "    op.alter_column('t', 'd', server_default=None)\n"
    )
    [migration] = load_migrations([str(path)], fmt="alembic")
    # What Alembic's offline mode prints for these calls.
    assert [s.sql for s in migration.statements] == [
        "ALTER TABLE t ADD COLUMN a INTEGER",
        "ALTER TABLE t ADD COLUMN b INTEGER",
        "ALTER TABLE t ALTER COLUMN c DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN d DROP DEFAULT",
    ]


def test_text_with_bindparams_is_written_as_the_database_gets_it(tmp_path):
    path = tmp_path / "beef_data.py"
    path.write_text(
        "from alembic import op\nimport sqlalchemy as sa\nrevision = 'beef'\ndown_revision = None\n\n"
        "def upgrade():\n"
        '    op.execute(sa.text("UPDATE accounts SET email = :e, at = now()::date WHERE id = :i AND note <> \'a\\\\:b\'").bindparams(e="it\'s", i=3))\n'
        "    op.execute(sa.text('UPDATE accounts SET n = :n').bindparams(n=compute()))\n"
    )
    [migration] = load_migrations([str(path)], fmt="alembic")
    assert [s.sql for s in migration.statements] == [
        "UPDATE accounts SET email = 'it''s', at = now()::date WHERE id = 3 AND note <> 'a:b'"
    ]
    assert [f.rule for f in migration.findings if f.rule == "unanalysable"] == ["unanalysable"]


def test_branches_on_the_dialect_run_the_postgresql_branch_only(tmp_path):
    # CTFd's pattern: `url = str(bind.engine.url)` then `if url.startswith("mysql"):`
    path = tmp_path / "abcd_dialect.py"
    path.write_text(
        "from alembic import op\nimport sqlalchemy as sa\n"
        "revision = 'abcd'\ndown_revision = None\n\n"
        "def upgrade():\n"
        "    bind = op.get_bind()\n"
        "    url = str(bind.engine.url)\n"
        "    if url.startswith('mysql'):\n"
        "        op.drop_constraint('awards_ibfk_1', 'awards', type_='foreignkey')\n"
        "    if url.startswith('sqlite') is False:\n"
        "        op.create_foreign_key('fk_c', 'teams', 'users', ['captain_id'], ['id'])\n"
        "    if bind.dialect.name in ('postgresql', 'cockroachdb'):\n"
        "        op.execute('SELECT 1')\n"
        "    else:\n"
        "        op.execute('SELECT 2')\n"
    )
    [migration] = load_migrations([str(tmp_path)])
    assert [s.sql for s in migration.statements] == [
        "ALTER TABLE teams ADD CONSTRAINT fk_c FOREIGN KEY(captain_id) REFERENCES users (id)",
        "SELECT 1",
    ]
    assert [f.rule for f in migration.findings] == []


def test_data_operations_on_tables_built_in_the_revision_become_alembics_sql(tmp_path):
    path = tmp_path / "cafe_data.py"
    path.write_text(
        "from alembic import op\nimport os\nimport sqlalchemy as sa\nfrom app.models import User\n"
        "revision = 'cafe'\ndown_revision = None\n"
        "plans = sa.table('plans', sa.column('id', sa.Integer), sa.column('name', sa.String))\n"
        "ROWS = [{'name': 'free', 'id': 1}]\n\n"
        "def upgrade():\n"
        "    op.bulk_insert(plans, ROWS)\n"
        "    op.execute(plans.update().where(plans.c.id >= 2).values(name='pro'))\n"
        "    op.execute(User.__table__.delete())\n"
        "    op.execute(plans.update().values(name=os.environ['PLAN']))\n"
        "    op.bulk_insert(plans, [{'id': 3, 'color': 'red'}])\n"
    )
    [migration] = load_migrations([str(path)], fmt="alembic")
    assert [(s.sql, s.refused is None) for s in migration.statements] == [
        ("INSERT INTO plans (id, name) VALUES (1, 'free')", True),
        ("UPDATE plans SET name='pro' WHERE plans.id >= 2", True),
        # a value read when the revision runs is NULL, and such an UPDATE is never sent
        ("UPDATE plans SET name=NULL", False),
    ]
    messages = {f.location.line: f.message for f in migration.findings if f.rule == "unanalysable"}
    assert (
        "`User.__table__` of .delete(), a table object not built in this revision" in messages[13]
    )
    assert "the column `color`, which the table object `plans` does not have" in messages[15]
    (note,) = [f for f in migration.findings if f.rule == "run-time-value"]
    assert (note.location.line, note.message.split(": analysed")[0]) == (
        14,
        "op.execute: the value of `name` (the environment variable PLAN), known only at run time",
    )


def test_a_loop_that_can_stop_early_is_read_with_its_first_value_and_never_sent(tmp_path):
    """`for name in (…): … break`: which values it runs for is decided when it runs."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "1a2b3c4d5e6f_drop.py").write_text(
        'revision = "1a2b3c4d5e6f"\n'
        "down_revision = None\n"
        "from alembic import op\n\n"
        "def upgrade():\n"
        '    for name in ("a_fkey", "a_foreign_idx"):\n'
        '        op.drop_constraint(name, "a")\n'
        "        break\n"
        '    for table in ("a", "b"):\n'
        '        op.execute(f"ANALYZE {table}")\n'
    )
    [migration] = load_migrations([str(versions)], fmt="alembic")
    assert [(s.sql, s.refused is None) for s in migration.statements] == [
        ("ALTER TABLE a DROP CONSTRAINT a_fkey", False),
        ("ANALYZE a", True),
        ("ANALYZE b", True),
    ]
    (note,) = [f for f in migration.findings if f.rule == "run-time-value"]
    assert note.location.line == 6 and "analysed them with the first, 'a_fkey'" in note.message
    assert (migration.calls_seen, migration.calls_extracted) == (3, 3)
