"""Hostile input: a one-line error naming the file and exit 2, in bounded time and memory.

Each case runs the command in a process of its own, as a user does: a crash of pglast's
C code would kill the process (SIGSEGV), which no in-process test can show. Time is
bounded by the subprocess timeout, memory by the child's peak resident size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pglast.parser
import pytest

from pgfence.errors import BadInput
from pgfence.sources import limits
from pgfence.sources.limits import Budget, measure
from pgfence.sources.psql import LineIndex, Scanner
from pgfence.sources.sql import split_script
from tests.support import PGFENCE

# Peak resident size that no input under the default 16 MB limit may exceed. Measured
# before these bounds: 800 MB for 15 MB of empty lines, 1.9 GB for a 15 MB string
# literal, 480 MB for 15 MB of comments.
MAX_RSS_MB = 300


def analyze(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], int]:
    """`pgfence analyze ARGS…` in a process of its own; its result and peak RSS in MB.

    A small Python parent runs it and reports its children's peak resident size, so that
    no earlier child of the test run counts.
    """
    parent = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:])\n"
        "sys.stderr.write(f'\\nRSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')\n"
        "sys.exit(r.returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", parent, *PGFENCE, "analyze", "--show-statements", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    stderr, _, rss = result.stderr.rpartition("\nRSS_KB=")
    result.stderr = stderr
    return result, int(rss) // 1024


def assert_bad_input(result: subprocess.CompletedProcess[str], path: Path, words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"pgfence: error: {path}"), lines[0]
    assert words in lines[0], lines[0]


# ---- SQL nesting: pglast's C conversion recursed into a SIGSEGV ------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT " + "+".join(["a"] * 100_000),  # SIGSEGV in pglast before the bound
        "SELECT " + " || ".join(["'x'"] * 50_000),
        "SELECT 1" + "::int" * 20_000,
        " UNION ALL ".join(["SELECT 1"] * 20_000),
        "SELECT * FROM a" + " JOIN a ON true" * 20_000,
    ],
    ids=["plus", "concat", "casts", "union", "joins"],
)
def test_deeply_nested_statement_is_bad_input_not_a_crash(tmp_path, statement):
    migration = tmp_path / "deep.sql"
    migration.write_text(f"CREATE TABLE t (a int);\n{statement};\n")
    result, _ = analyze(str(migration))
    assert_bad_input(result, migration, "nested")
    assert f"{migration}:2:" in result.stderr


def test_deep_expression_that_only_the_printer_recursed_on_is_bad_input(tmp_path):
    # Postgres and pglast's parser take it; pglast's printer (the index definition the
    # catalog keeps) raised RecursionError: an "internal error" before the bound.
    migration = tmp_path / "idx.sql"
    expression = "+".join(["a"] * 3000)
    migration.write_text(f"CREATE TABLE t (a int);\nCREATE INDEX i ON t (({expression}));\n")
    result, _ = analyze(str(migration))
    assert_bad_input(result, migration, f"up to {limits.MAX_NESTING} levels")


def _chain_at_the_limit() -> str:
    """`a || a || …` as long as MAX_NESTING allows in a SELECT, less the few levels the
    statements below wrap it in."""

    def depth(terms: int) -> int:
        tree = pglast.parser.parse_sql_json("SELECT " + " || ".join(["a"] * terms))
        return limits.tree_size(tree).depth

    terms = 2
    while depth(terms + 1) <= limits.MAX_NESTING:
        terms += 1
    return " || ".join(["a"] * (terms - 4))


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "github", "html"])
def test_statements_nested_to_the_limit_are_analysed_in_every_format(tmp_path, fmt):
    # The limit must stay below what pglast's printer and pgfence's rules can recurse
    # through: every statement here is printed back (index definition, recipes).
    chain = _chain_at_the_limit()
    migration = tmp_path / "limit.sql"
    migration.write_text(
        "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('x');\n"
        f"CREATE INDEX i ON t (({chain}));\n"
        f"CREATE UNIQUE INDEX CONCURRENTLY j ON t (a) WHERE ({chain}) > '';\n"
        f"ALTER TABLE t ADD CONSTRAINT c CHECK (({chain}) <> '');\n"
        f"ALTER TABLE t ADD COLUMN b text NOT NULL DEFAULT random()::text || {chain};\n"
        f"UPDATE t SET a = {chain} WHERE ({chain}) > '';\n"
    )
    result, _ = analyze(str(migration), "-f", fmt)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""


def test_tree_size_counts_braces_inside_string_literals_as_text():
    plain = measure("SELECT a, b")
    assert plain is not None
    hidden = measure("SELECT '}}}}}}}}}}}}', a, b")  # would hide depth if counted
    assert hidden is not None and hidden.depth == plain.depth


def test_statement_over_the_length_limit_is_bad_input(tmp_path):
    migration = tmp_path / "long.sql"
    migration.write_text("SELECT 1;\nSELECT '" + "x" * (limits.MAX_STATEMENT_CHARS + 1) + "';\n")
    result, rss = analyze(str(migration))
    assert_bad_input(result, migration, "million characters")
    assert f"{migration}:2:" in result.stderr
    assert rss < MAX_RSS_MB


# ---- how much one file may hold -------------------------------------------------------


def test_more_statements_than_the_limit_is_bad_input(tmp_path):
    # Meta-commands count as statements (each becomes a finding) and cost no parse.
    migration = tmp_path / "many.sql"
    migration.write_text("SELECT 1;\n" + "\\x\n" * limits.MAX_STATEMENTS)
    result, rss = analyze(str(migration))
    assert_bad_input(result, migration, f"more than {limits.MAX_STATEMENTS:,} statements")
    assert f"{migration}:{limits.MAX_STATEMENTS + 1}:" in result.stderr
    assert rss < MAX_RSS_MB


def test_parse_tree_nodes_are_budgeted_per_file():
    script = "SELECT 1, 2, 3;\n" * 10
    nodes = sum(measure("SELECT 1, 2, 3").nodes for _ in range(10))
    statements, _ = split_script(script, "m.sql", budget=Budget(nodes=nodes))
    assert len(statements) == 10
    with pytest.raises(BadInput) as caught:
        split_script(script, "m.sql", budget=Budget(nodes=nodes - 1))
    assert (caught.value.file, caught.value.line) == ("m.sql", 10)
    assert "nodes" in caught.value.message


def test_a_file_of_comments_is_bad_input_in_bounded_memory(tmp_path):
    migration = tmp_path / "comments.sql"
    migration.write_text("--\n" * (5 * 1024 * 1024) + "SELECT 1;\n")  # 15 MB
    result, rss = analyze(str(migration))
    assert_bad_input(result, migration, "comments")
    assert rss < MAX_RSS_MB


def test_fifteen_megabytes_of_empty_lines_stay_in_bounded_memory(tmp_path):
    migration = tmp_path / "lines.sql"
    migration.write_text("\n" * (15 * 1024 * 1024) + "CREATE TABLE t (a int);\n")
    result, rss = analyze(str(migration))
    assert result.returncode == 0, result.stderr
    assert f"{15 * 1024 * 1024 + 1}" in result.stdout  # the statement's line
    assert rss < MAX_RSS_MB


def test_line_index_does_not_keep_every_line_start():
    text = "\n" * 2_000_000 + "x"
    tracemalloc.start()
    index = LineIndex(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000  # a list of line starts was 70 MB
    assert index.position(len(text) - 1) == (2_000_001, 1)
    assert index.position(0) == (1, 1)
    assert index.line_end(len(text) - 1) == -1


@pytest.mark.parametrize("quoted", ["'{}'", "E'{}'", '"{}"'])
def test_a_long_quoted_body_is_scanned_in_constant_memory(quoted):
    text = "SELECT " + quoted.format("x" * 900_000) + ";"
    tracemalloc.start()
    pieces = list(Scanner(text))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(p.start, p.end) for p in pieces] == [(0, len(text) - 1)]
    assert peak < 1_000_000  # the regex kept 120 bytes per character: 108 MB


# ---- what is read: regular files only, whole, as text --------------------------------


def test_fifo_named_on_the_command_line_is_bad_input(tmp_path):
    fifo = tmp_path / "m.sql"
    os.mkfifo(fifo)
    result, _ = analyze(str(fifo), timeout=60)
    assert_bad_input(result, fifo, "not a regular file")


def test_fifo_in_a_directory_is_skipped_not_waited_on(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE t (a int);\n")
    os.mkfifo(tmp_path / "0002_b.sql")  # the walk used to open it and wait forever
    result, _ = analyze(str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "0001_a.sql" in result.stdout and "0002_b.sql" not in result.stdout


def test_device_is_bad_input():
    result, _ = analyze("/dev/zero", timeout=60)
    assert_bad_input(result, Path("/dev/zero"), "not a regular file")


@pytest.mark.parametrize("name", ["late.sql", "0001_initial.py"])
def test_nul_byte_anywhere_is_binary_input(tmp_path, name):
    migration = tmp_path / name
    padding = "SELECT 1;\n" if name.endswith(".sql") else "# padding\n"
    migration.write_bytes((padding * 10_000).encode() + b"x = '\x00'\n")  # past 64 KiB
    result, _ = analyze(str(migration))
    assert_bad_input(result, migration, "binary file")
    assert f"{migration}:10001:" in result.stderr


def test_invalid_utf8_is_bad_input_with_its_line(tmp_path):
    migration = tmp_path / "latin1.sql"
    migration.write_bytes(b"SELECT 1;\nSELECT 'caf\xe9';\n")
    result, _ = analyze(str(migration))
    assert_bad_input(result, migration, "not valid UTF-8")
    assert f"{migration}:2:" in result.stderr


# ---- directory walks: depth and symbolic links ---------------------------------------


def test_a_directory_1500_levels_deep_is_walked(tmp_path):
    deepest = tmp_path / "m"
    directory = str(deepest)
    os.mkdir(directory)
    for _ in range(1500):  # os.makedirs recurses too
        directory = os.path.join(directory, "d")
        os.mkdir(directory)
    Path(directory, "0001_a.sql").write_text("CREATE TABLE t (a int);\n")
    try:
        result, _ = analyze(str(deepest))  # os.walk and Path.rglob recursed: RecursionError
    finally:  # shutil.rmtree recurses as well: pytest could not clean it up
        os.unlink(os.path.join(directory, "0001_a.sql"))
        while directory != str(deepest):
            os.rmdir(directory)
            directory = os.path.dirname(directory)
    assert result.returncode == 0, result.stderr
    assert "0001_a.sql" in result.stdout


def test_symlink_to_a_file_outside_the_directory_is_refused(tmp_path):
    outside = tmp_path / "elsewhere" / "0002_drop.sql"
    outside.parent.mkdir()
    outside.write_text("DROP TABLE accounts;\n")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_a.sql").write_text("CREATE TABLE t (a int);\n")
    link = migrations / "0002_drop.sql"
    link.symlink_to(outside)
    result, _ = analyze(str(migrations))
    assert_bad_input(result, link, "symbolic link leads out of the directory")
    assert str(outside) in result.stderr


def test_symlink_to_a_directory_outside_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_a.sql").write_text("CREATE TABLE t (a int);\n")
    link = migrations / "more"
    link.symlink_to(tmp_path / "elsewhere")
    result, _ = analyze(str(migrations))
    assert_bad_input(result, link, "symbolic link leads out of the directory")


def test_symlink_loops_and_links_inside_do_not_hang(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE t (a int);\n")
    (tmp_path / "0002_same.sql").symlink_to(tmp_path / "0001_a.sql")  # inside: read once
    (tmp_path / "again").symlink_to(tmp_path)  # a loop through a directory
    (tmp_path / "x.sql").symlink_to(tmp_path / "y.sql")
    (tmp_path / "y.sql").unlink(missing_ok=True)
    (tmp_path / "y.sql").symlink_to(tmp_path / "x.sql")  # a loop of file links
    result, _ = analyze(str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("CREATE TABLE t") == 1


# ---- Python and JavaScript migrations ------------------------------------------------

_ALEMBIC = '''"""x"""
from alembic import op

revision = "001"
down_revision = None


def upgrade():
    op.execute("SELECT " + {expression})
'''
_KNEX = """exports.up = function (knex) {{
  return knex.raw("SELECT " + {expression});
}};
exports.down = function () {{}};
"""


def _concatenation(terms: int) -> str:
    return " + ".join(['"1"'] * terms)


@pytest.mark.parametrize("terms", [100_000, 500])
def test_deep_python_expression_is_bad_input(tmp_path, terms):
    # 100,000 terms: ast.parse raised RecursionError; 500: pgfence's reader did.
    migration = tmp_path / "versions" / "001_x.py"
    migration.parent.mkdir()
    migration.write_text(_ALEMBIC.format(expression=_concatenation(terms)))
    result, _ = analyze(str(migration), "--migration-format", "alembic")
    assert_bad_input(result, migration, f"Python nested more than {limits.MAX_PYTHON_NESTING}")


def test_deep_javascript_expression_is_bad_input(tmp_path):
    migration = tmp_path / "migrations" / "20240101000000_x.js"
    migration.parent.mkdir()
    migration.write_text(_KNEX.format(expression=_concatenation(100_000)))
    result, _ = analyze(str(migration), "--migration-format", "knex")
    assert_bad_input(result, migration, "JavaScript nested more than")


def test_code_nested_just_under_the_limits_is_read(tmp_path):
    # The readers of Python and JavaScript trees recurse: the limits must leave them room.
    python = tmp_path / "versions" / "001_x.py"
    python.parent.mkdir()
    python.write_text(_ALEMBIC.format(expression=_concatenation(limits.MAX_PYTHON_NESTING - 8)))
    result, _ = analyze(str(python), "--migration-format", "alembic")
    assert result.returncode == 0, result.stderr
    javascript = tmp_path / "migrations" / "20240101000000_x.js"
    javascript.parent.mkdir()
    javascript.write_text(_KNEX.format(expression=_concatenation(limits.MAX_JS_NESTING - 15)))
    result, _ = analyze(str(javascript), "--migration-format", "knex")
    assert result.returncode == 0, result.stderr
