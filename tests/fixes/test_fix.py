"""`pgfence analyze --fix`: each fix rewrites only what it must, and leaves a clean file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgfence.api import analyze, fix
from tests.support import pgfence

SCHEMA = """\
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);
CREATE INDEX orders_account_idx ON orders (account_id);
"""

# (name, migration, the migration as --fix writes it)
CASES = [
    (
        "index build",
        "-- an index\nCREATE INDEX accounts_email_idx ON accounts (email);\n",
        "-- an index\nCREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n",
    ),
    (
        "unique index build, lower case, comments kept",
        "create unique index /* keep */ accounts_email_key on accounts (lower(email)) -- why\n;\n",
        "create unique index CONCURRENTLY IF NOT EXISTS /* keep */ accounts_email_key on accounts (lower(email)) -- why\n;\n",
    ),
    (
        "unnamed index: CONCURRENTLY alone (a fresh name each run)",
        "CREATE INDEX ON accounts (n);\n",
        "CREATE INDEX CONCURRENTLY ON accounts (n);\n",
    ),
    (
        "concurrent build without IF NOT EXISTS",
        "CREATE INDEX CONCURRENTLY accounts_n_idx ON accounts (n);\n",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_idx ON accounts (n);\n",
    ),
    (
        "IF NOT EXISTS already there; DROP INDEX IF EXISTS",
        "CREATE INDEX IF NOT EXISTS accounts_n_idx ON accounts (n);\n"
        "DROP INDEX IF EXISTS orders_account_idx;\n",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_idx ON accounts (n);\n"
        "DROP INDEX CONCURRENTLY IF EXISTS orders_account_idx;\n",
    ),
    (
        "VALIDATE between two statements of one line",
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id); SELECT 1;\n",
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID; "
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk; SELECT 1;\n",
    ),
    (
        "index drop",
        "DROP INDEX orders_account_idx;\n",
        "DROP INDEX CONCURRENTLY IF EXISTS orders_account_idx;\n",
    ),
    (
        "foreign key: NOT VALID, then VALIDATE after it (trailing comment stays on its line)",
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk\n"
        "    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE; -- fk\n",
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk\n"
        "    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE NOT VALID; -- fk\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\n",
    ),
    (
        "check among other sub-commands",
        "ALTER TABLE accounts ADD CONSTRAINT n_positive CHECK (n > (0)), ADD COLUMN note text;\n",
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE accounts ADD CONSTRAINT n_positive CHECK (n > (0)) NOT VALID, ADD COLUMN note text;\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT n_positive;\n",
    ),
    (
        "foreign key inside BEGIN … COMMIT: VALIDATE after the COMMIT, SET LOCAL after BEGIN",
        "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n"
        "COMMIT;\n",
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\n"
        "COMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\n",
    ),
    (
        "timeouts before the first blocking statement, above its ignore comment; RESET before a concurrent build",
        "CREATE TABLE notes (id int);\n"
        "-- pgfence-ignore: prefer-text\n"
        "ALTER TABLE accounts ALTER COLUMN n TYPE varchar(20);\n"
        "CREATE INDEX accounts_n_idx ON accounts (n);\n",
        "CREATE TABLE notes (id int);\n"
        "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "-- pgfence-ignore: prefer-text\n"
        "ALTER TABLE accounts ALTER COLUMN n TYPE varchar(20);\n"
        "RESET lock_timeout;\nRESET statement_timeout;\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_n_idx ON accounts (n);\n",
    ),
]
FIXED_RULES = {
    "create-index-blocks-writes",
    "drop-index-blocks-reads",
    "concurrently-without-if-exists",
    "foreign-key-validation",
    "check-constraint-validation",
    "missing-lock-timeout",
    "missing-statement-timeout",
}


def _project(tmp_path: Path, migration: str, name: str = "0001_change.sql") -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    path = tmp_path / "migrations" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(migration.encode())
    return path


@pytest.mark.parametrize(("name", "migration", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fix_inserts_the_safe_form_and_the_result_is_clean(tmp_path, name, migration, expected):
    path = _project(tmp_path, migration)
    result = fix(path, schema=tmp_path / "schema.sql", write=True)
    assert path.read_bytes().decode() == expected
    assert result.refusals == ()
    again = analyze(path, schema=tmp_path / "schema.sql")
    left = {f.rule for f in again.all_findings()} & FIXED_RULES
    assert not left, again.all_findings()
    assert {f.rule for f in result.report.all_findings()} & FIXED_RULES == set()


def test_fix_is_idempotent(tmp_path):
    path = _project(tmp_path, CASES[-1][1])
    fix(path, schema=tmp_path / "schema.sql", write=True)
    once = path.read_bytes()
    result = fix(path, schema=tmp_path / "schema.sql", write=True)
    assert result.files == () and path.read_bytes() == once


@pytest.mark.parametrize(
    ("migration", "rule", "reason"),
    [
        (
            "BEGIN;\nCREATE INDEX accounts_email_idx ON accounts (email);\nCOMMIT;\n",
            "create-index-blocks-writes",
            "CONCURRENTLY cannot run in a transaction block, and it is inside BEGIN … COMMIT",
        ),
        (
            "DROP INDEX orders_account_idx CASCADE;\n",
            "drop-index-blocks-reads",
            "does not support CASCADE",
        ),
        (
            "ALTER TABLE orders ADD FOREIGN KEY (account_id) REFERENCES accounts (id);\n",
            "foreign-key-validation",
            "name the constraint",
        ),
    ],
)
def test_what_is_not_safe_to_edit_is_refused_and_said(tmp_path, migration, rule, reason):
    path = _project(tmp_path, migration)
    result = fix(path, schema=tmp_path / "schema.sql", write=True)
    refused = [r for r in result.refusals if r.rule == rule]
    assert refused and reason in refused[0].reason
    assert str(refused[0]).startswith(f"{path}:")
    assert rule in {f.rule for f in result.report.all_findings()}


def test_a_runner_transaction_refuses_concurrently_and_names_the_tool(tmp_path):
    path = _project(
        tmp_path,
        "-- migrate:up\nCREATE INDEX accounts_email_idx ON accounts (email);\n-- migrate:down\n",
        "20240101000000_idx.sql",
    )
    result = fix(path, schema=tmp_path / "schema.sql", write=True)
    [refused] = [r for r in result.refusals if r.rule == "create-index-blocks-writes"]
    assert refused.reason.startswith("CONCURRENTLY cannot run in a transaction block, and dbmate")
    # The timeouts still go in: first statement of the tool's transaction, after the marker.
    assert path.read_text() == (
        "-- migrate:up\nSET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5min';\n"
        "CREATE INDEX accounts_email_idx ON accounts (email);\n-- migrate:down\n"
    )


def test_prisma_file_with_only_the_build_is_fixed_and_a_mixed_one_is_refused(tmp_path):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    root = tmp_path / "prisma" / "migrations"
    alone = root / "20240101000000_idx" / "migration.sql"
    mixed = root / "20240102000000_mixed" / "migration.sql"
    for path in (alone, mixed):
        path.parent.mkdir(parents=True)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    alone.write_text('-- CreateIndex\nCREATE INDEX "accounts_email_idx" ON "accounts"("email");\n')
    mixed.write_text(
        'ALTER TABLE "accounts" ADD COLUMN "note" TEXT;\n\n'
        '-- CreateIndex\nCREATE INDEX "accounts_n_idx" ON "accounts"("n");\n'
    )
    result = fix(root, schema=tmp_path / "schema.sql", write=True)
    assert alone.read_text() == (
        '-- CreateIndex\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "accounts_email_idx" '
        'ON "accounts"("email");\n'
    )
    [refused] = [r for r in result.refusals if r.rule == "create-index-blocks-writes"]
    assert "prisma sends this file as one query" in refused.reason
    assert str(mixed) in str(refused)


def test_flyway_script_holding_only_the_build_is_fixed(tmp_path):
    path = _project(
        tmp_path, "CREATE INDEX accounts_email_idx ON accounts (email);\n", "V2__idx.sql"
    )
    result = fix(path.parent, schema=tmp_path / "schema.sql", write=True)
    assert result.refusals == ()
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS" in path.read_text()


def test_orm_migrations_are_not_edited_and_the_refusal_says_so(tmp_path):
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    source = (
        'revision = "a1"\ndown_revision = None\nfrom alembic import op\n\n'
        "def upgrade():\n    op.create_index('accounts_email_idx', 'accounts', ['email'])\n"
    )
    (versions / "a1_idx.py").write_text(source)
    result = fix(versions, schema=tmp_path / "schema.sql", write=True)
    assert (versions / "a1_idx.py").read_text() == source
    [refused] = [r for r in result.refusals if r.rule == "create-index-blocks-writes"]
    assert refused.reason == (
        "--fix edits SQL files, not alembic migrations: the finding's recipe says what to write"
    )


def test_cli_diff_prints_the_change_and_writes_nothing(tmp_path):
    migration = "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    path = _project(tmp_path, migration)
    done = pgfence("analyze", "--schema", str(tmp_path / "schema.sql"), "--diff", str(path))
    assert done.returncode == 1, done.stderr
    assert path.read_text() == migration
    assert done.stdout.splitlines() == [
        f"--- {path}",
        f"+++ {path}",
        "@@ -1 +1 @@",
        "-CREATE INDEX accounts_email_idx ON accounts (email);",
        "+CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);",
    ]
    done = pgfence("analyze", "--schema", str(tmp_path / "schema.sql"), "--fix", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pgfence: fixed 1 problem in 1 file" in done.stderr
    again = pgfence("analyze", "--schema", str(tmp_path / "schema.sql"), "--diff", str(path))
    assert (again.returncode, again.stdout) == (0, "")


# ---- on a real Postgres: the fixed migration leaves the same schema, and dry-runs clean ---

_CATALOG = """
SELECT 'column', c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
  AND NOT a.attisdropped
UNION ALL
SELECT 'index', i.indexrelid::regclass::text,
       pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'constraint', conrelid::regclass || '.' || conname,
       pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALIDATED' END
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2, 3
"""


def _schema_after(server, name: str, migration: str) -> list[tuple[str, str, str]]:
    """Run SCHEMA then the migration, statement by statement as psql does (autocommit
    outside BEGIN … COMMIT), and read back what the catalog holds."""
    import psycopg

    from pgfence.sources.sql import split_script
    from tests.support import database_with

    dsn = database_with(server, name, SCHEMA)
    statements, _ = split_script(migration, "m.sql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.sql.encode())
        return [tuple(row) for row in conn.execute(_CATALOG).fetchall()]


@pytest.mark.postgres
@pytest.mark.parametrize(("name", "migration", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fixed_migration_builds_the_same_schema_and_dry_runs_clean(
    pg, tmp_path, database_name, name, migration, expected
):
    from pgfence.api import dryrun
    from pgfence.model import VerdictKind

    before = _schema_after(pg, f"{database_name}_a", migration)
    after = _schema_after(pg, f"{database_name}_b", expected)
    assert after == before
    assert not any(kind == "index" and value.endswith("INVALID") for kind, _, value in after)
    path = _project(tmp_path, expected)
    report = dryrun(path, schema=tmp_path / "schema.sql", server=pg, database=database_name)
    assert all(s.observation is not None and s.observation.ran for s in report.statements)
    assert not [s for s in report.statements if s.observation.error is not None]
    assert not [s for s in report.statements if s.verdict.kind is VerdictKind.UNDER_PREDICTED]
    static = {f.rule for f in report.all_findings() if not f.dynamic}
    assert not static & FIXED_RULES


def test_crlf_line_endings_and_a_byte_order_mark_are_kept(tmp_path):
    migration = (
        "\ufeff-- fk\r\nALTER TABLE orders ADD CONSTRAINT orders_account_fk "
        "FOREIGN KEY (account_id) REFERENCES accounts (id);\r\n"
    )
    path = _project(tmp_path, migration)
    fix(path, schema=tmp_path / "schema.sql", write=True)
    assert path.read_bytes().decode() == (
        "\ufeffSET lock_timeout = '2s';\r\n-- fk\r\nALTER TABLE orders ADD CONSTRAINT "
        "orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\r\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\r\n"
    )


def test_a_file_that_cannot_be_written_is_bad_input_naming_it(tmp_path):
    from pgfence.errors import BadInput
    from pgfence.fixes import FileFix, FixResult

    path = _project(tmp_path, "CREATE INDEX accounts_email_idx ON accounts (email);\n")
    result = fix(path, schema=tmp_path / "schema.sql")
    [done] = result.files
    gone = tmp_path / "gone" / "0001_change.sql"  # its folder removed before the write
    moved = FixResult(
        (FileFix(str(gone), done.original, done.fixed, done.rules),), (), result.report
    )
    with pytest.raises(BadInput, match="cannot write the fixed file: No such file or directory"):
        moved.write()
