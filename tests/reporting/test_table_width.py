"""The table report fits the terminal: no line wider than COLUMNS, at 80, 100 and 200."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pgfence.reporting import layout
from pgfence.reporting.layout import Column, Shrink
from pgfence.reporting.terminal import cells
from tests.support import pgfence as run

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "scenarios/demo/schema.sql"
DEMO = REPO / "scenarios/demo/migration.sql"

# A statement and a rewrite long enough to overflow any of the widths tested.
LONG = (
    "ALTER TABLE orders ADD CONSTRAINT orders_account_fk_with_a_rather_long_name FOREIGN KEY "
    "(account_id) REFERENCES accounts (id) ON DELETE CASCADE ON UPDATE CASCADE;\n"
    "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\n"
)


def widest(text: str) -> int:
    return max(cells(line) for line in text.splitlines())


def env_with_columns(columns: int) -> dict[str, str]:
    return dict(os.environ, COLUMNS=str(columns))


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_analyze_output_never_wider_than_the_terminal(tmp_path, columns):
    migration = tmp_path / "0001_long.sql"
    migration.write_text(DEMO.read_text() + LONG)
    result = run("analyze", str(migration), env=env_with_columns(columns))
    assert result.returncode == 1, result.stderr
    assert widest(result.stdout) <= columns, result.stdout
    # The 335-character recipe line of the type change is laid out, not printed whole.
    assert "CREATE TRIGGER accounts_email_sync" in result.stdout
    assert "EXECUTE FUNCTION accounts_email_sync();" in result.stdout


@pytest.mark.postgres
@pytest.mark.parametrize("columns", [80, 100, 200])
def test_dryrun_output_never_wider_than_the_terminal(tmp_path, columns):
    migration = tmp_path / "0001_long.sql"
    migration.write_text(DEMO.read_text() + LONG)
    result = run("dryrun", "--schema", str(SCHEMA), str(migration), env=env_with_columns(columns))
    assert result.returncode == 1, result.stderr
    assert widest(result.stdout) <= columns, result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("line"))
    # One locks column: on a confirmed row the prediction is the observation.
    assert "predicted" not in header and "observed" in header
    assert "verdict" in header and "risk" in header
    assert "predicted:" not in result.stdout  # every row of this migration is confirmed
    if columns == 200:
        # Wide enough: the statement is whole on one line, and so is every lock.
        assert "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)" in result.stdout
        assert "accounts AccessExclusive" in result.stdout


def test_statement_is_wrapped_before_it_is_cut():
    sql = "ALTER TABLE accounts ADD COLUMN api_token uuid DEFAULT gen_random_uuid()"
    columns = [Column("line"), Column("statement", max_lines=3), Column("risk")]
    rows = [[["1"], [sql], ["high"]]]
    text = layout.table(columns, rows, 40, [Shrink(1, 10)])
    assert widest(text) <= 40
    body = [line[6:].split("  ")[0] for line in text.splitlines()[2:]]
    assert " ".join(body) == sql  # wrapped over lines, nothing lost
    cut = layout.table(columns, rows, 24, [Shrink(1, 10, split_words=True)])
    assert widest(cut) <= 24
    assert len(cut.splitlines()) == 2 + 3 and cut.splitlines()[-1].rstrip().endswith("…")


def test_recipe_sql_is_one_clause_a_line_and_keeps_its_text():
    line = (
        "BEGIN; SET LOCAL lock_timeout = '2s'; ALTER TABLE accounts RENAME COLUMN email TO "
        "email_old; ALTER TABLE accounts RENAME COLUMN email_new TO email; COMMIT;"
    )
    out = layout.sql_lines(line, 60, "  ")
    assert out == [
        "  BEGIN;",
        "  SET LOCAL lock_timeout = '2s';",
        "  ALTER TABLE accounts RENAME COLUMN email TO email_old;",
        "  ALTER TABLE accounts RENAME COLUMN email_new TO email;",
        "  COMMIT;",
    ]
    trigger = (
        "CREATE TRIGGER t_sync BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW "
        "EXECUTE FUNCTION t_sync();"
    )
    assert layout.sql_lines(trigger, 40) == [
        "CREATE TRIGGER t_sync",
        "  BEFORE INSERT OR UPDATE",
        "  ON accounts",
        "  FOR EACH ROW",
        "  EXECUTE FUNCTION t_sync();",
    ]
    fk = "ALTER TABLE o ADD CONSTRAINT o_fk FOREIGN KEY (a) REFERENCES accounts (id) NOT VALID;"
    assert layout.sql_lines(fk, 40) == [
        "ALTER TABLE o",
        "  ADD CONSTRAINT o_fk",
        "  FOREIGN KEY (a)",
        "  REFERENCES accounts (id)",
        "  NOT VALID;",
    ]
    # Short enough: left as it is; NOT NULL is never split from its column.
    assert layout.sql_lines("ALTER TABLE a ALTER c SET NOT NULL;", 80) == [
        "ALTER TABLE a ALTER c SET NOT NULL;"
    ]


def test_recipe_comment_wraps_as_comments():
    out = layout.sql_lines("-- " + "word " * 30, 40, "    ")
    assert all(line.startswith("    -- ") and cells(line) <= 40 for line in out)
    assert re.sub(r"\s*--\s*", " ", " ".join(out)).split() == ["word"] * 30


def test_soft_wrap_breaks_lock_modes_and_plus_before_letters():
    assert layout.wrap_soft("accounts ShareUpdateExclusive", 16) == [
        "accounts Share",
        "UpdateExclusive",
    ]
    assert layout.wrap_soft("reads+writes", 7) == ["reads+", "writes"]
    assert layout.wrap_soft("+1 idx", 10) == ["+1 idx"]


def test_repeated_findings_are_grouped_with_their_places(tmp_path):
    for n in range(1, 8):
        (tmp_path / f"000{n}.sql").write_text(f"CREATE INDEX i{n} ON accounts (email);\n")
    result = run("analyze", str(tmp_path), env=env_with_columns(100))
    assert result.returncode == 1, result.stderr
    out = result.stdout
    # Each check once, in full, then where else it said the same.
    assert out.count("  missing-lock-timeout") == 1
    assert out.count("  create-index-blocks-writes") == 1
    assert out.count("… and 6 more:") == 2  # missing-lock-timeout, missing-statement-timeout
    # The index builds' rewrites name each index: the others are in the JSON report.
    assert out.count("… and 6 more (each rewrite with its own names") == 1
    assert "0002.sql:1:1," in out and "0006.sql:1:1, …" in out and "0007.sql:1:1," not in out
    # The summary still counts them all.
    assert "findings: 7 high, 7 medium, 7 low" in " ".join(out.split())


@pytest.mark.postgres
def test_seeded_dryrun_sections_fit_80_columns(tmp_path):
    migration = tmp_path / "0001_long.sql"
    migration.write_text(DEMO.read_text() + LONG)
    result = run(
        "dryrun",
        "--seed-rows",
        "500",
        "--schema",
        str(SCHEMA),
        str(migration),
        env=env_with_columns(80),
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "Durations at production size" in result.stdout
    assert "Locks held, per relation" in result.stdout
    assert widest(result.stdout) <= 80, result.stdout


def test_a_rewrite_keeps_its_own_indentation_under_the_finding():
    """A Django rewrite is Python: the class body stays indented under `class Migration`."""
    from tests.support import pgfence

    result = pgfence(
        "analyze",
        "--no-cache",
        "tests/sources/fixtures/django/shop/migrations/0003_item_name_idx.py",
        env={**os.environ, "COLUMNS": "100"},
    )
    lines = result.stdout.splitlines()
    at = lines.index("        class Migration(migrations.Migration):")
    assert lines[at + 1] == "            atomic = False"
    assert lines[at + 2].startswith("            operations = [")
