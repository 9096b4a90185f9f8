import pytest

from pgfence.errors import BadInput
from pgfence.model import TxScope
from pgfence.sources import load_migrations
from pgfence.sources.files import natural_key
from pgfence.sources.sql import file_ignores, read_sql_file, split_script


def split(text):
    statements, findings = split_script(text, "m.sql")
    return statements, findings


def test_positions_are_first_token_line_and_column():
    text = "-- header\n\n  /* c */ ALTER TABLE t\n    ADD COLUMN x int;\nselect 'é';  select 2;\n"
    statements, _ = split(text)
    assert [(s.location.line, s.location.column) for s in statements] == [(3, 11), (5, 1), (5, 14)]
    assert statements[0].sql == "ALTER TABLE t\n    ADD COLUMN x int"
    assert statements[1].sql == "select 'é'"


def test_quotes_comments_and_dollar_bodies_hide_semicolons():
    text = (
        "create table \"a;b\" (x text default 'it''s; fine');\n"
        "select E'\\';' /* nested /* ; */ ; */;\n"
        "create function f() returns int language plpgsql as $body$ begin return 1; end $body$;\n"
        "do $$ begin perform 1; end $$;\n"
        "create function g() returns int language sql begin atomic select 1; select 2; end;\n"
        "select (1);\n"
    )
    statements, findings = split(text)
    assert findings == []
    assert len(statements) == 6
    assert all(s.parse_error is None for s in statements), [s.parse_error for s in statements]
    assert statements[4].sql.endswith("select 2; end")


def test_trailing_statement_without_semicolon():
    statements, _ = split("select 1;\nselect 2")
    assert [s.sql for s in statements] == ["select 1", "select 2"]


def test_meta_commands_are_skipped_and_reported():
    text = "\\restrict abc123\n\\set ON_ERROR_STOP on\nselect 1;\n\\connect other\nselect 2;\n\\unrestrict abc123\n"
    statements, findings = split(text)
    assert [s.sql for s in statements] == ["select 1", "select 2"]
    assert [(f.rule, f.location.line) for f in findings] == [
        ("psql-meta-command", 1),
        ("psql-meta-command", 2),
        ("psql-meta-command", 4),
        ("psql-meta-command", 6),
    ]
    assert "does not switch databases" in findings[2].message


def test_copy_from_stdin_keeps_its_data_and_skips_it_as_sql():
    text = "COPY t (a, b) FROM stdin;\n1\tx; drop table t;\n2\t\\N\n\\.\nselect 1;\n"
    statements, findings = split(text)
    assert [s.sql for s in statements] == ["COPY t (a, b) FROM stdin", "select 1"]
    assert statements[0].copy_data == "1\tx; drop table t;\n2\t\\N\n"
    assert statements[1].location.line == 5
    assert findings == []


def test_a_statement_that_does_not_parse_does_not_hide_the_others():
    statements, _ = split("select 1;\ncreate tabel oops ();\nselect 3;\n")
    assert [s.parse_error is None for s in statements] == [True, False, True]
    assert 'syntax error at or near "tabel"' in statements[1].parse_error
    assert "line 2, column 8" in statements[1].parse_error


def test_unterminated_quote_is_a_parse_error_finding_with_its_line():
    statements, findings = split("select 1;\nselect 'oops;\n")
    assert [s.sql for s in statements] == ["select 1"]
    assert findings[0].rule == "parse-error"
    assert findings[0].location.line == 2


def test_explicit_transactions_are_tracked():
    text = "select 0;\nBEGIN;\nalter table t add column x int;\nCOMMIT;\nselect 1;\nSTART TRANSACTION;\nselect 2;\nROLLBACK;"
    statements, _ = split(text)
    scopes = [(s.sql.split()[0], s.transaction.scope, s.transaction.block) for s in statements]
    assert scopes == [
        ("select", TxScope.AUTOCOMMIT, None),
        ("BEGIN", TxScope.EXPLICIT, 1),
        ("alter", TxScope.EXPLICIT, 1),
        ("COMMIT", TxScope.EXPLICIT, 1),
        ("select", TxScope.AUTOCOMMIT, None),
        ("START", TxScope.EXPLICIT, 2),
        ("select", TxScope.EXPLICIT, 2),
        ("ROLLBACK", TxScope.EXPLICIT, 2),
    ]


def test_runner_transaction_wraps_the_file_and_commit_starts_a_new_one():
    statements, _ = split_script(
        "select 1;\nCOMMIT;\nselect 2;\n", "m.sql", runner_transaction=True
    )
    blocks = [(s.transaction.scope, s.transaction.block) for s in statements]
    assert blocks == [(TxScope.RUNNER, 1), (TxScope.RUNNER, 1), (TxScope.RUNNER, 2)]


def test_inline_ignore_comments():
    text = (
        "-- pgfence-ignore: create-index-blocks-writes, foo\ncreate index i on t (a);\n"
        "drop index j; -- pgfence: ignore drop-index-blocks-reads\nselect 1;\n"
    )
    statements, _ = split(text)
    assert statements[0].ignored_rules == {"create-index-blocks-writes", "foo"}
    assert statements[1].ignored_rules == {"drop-index-blocks-reads"}
    assert statements[2].ignored_rules == frozenset()


def test_natural_order():
    names = ["V10__c.sql", "V2__b.sql", "V1__a.sql", "0010_x.sql", "0009_y.sql"]
    assert sorted(names, key=natural_key) == [
        "0009_y.sql",
        "0010_x.sql",
        "V1__a.sql",
        "V2__b.sql",
        "V10__c.sql",
    ]


def test_directories_and_globs_are_expanded_in_natural_order(tmp_path):
    for name in ["V10__c.sql", "V2__b.sql", "V1__a.sql"]:
        (tmp_path / name).write_text("select 1;")
    (tmp_path / "notes.txt").write_text("not sql")
    in_dir = [m.path.rsplit("/", 1)[1] for m in load_migrations([str(tmp_path)])]
    assert in_dir == ["V1__a.sql", "V2__b.sql", "V10__c.sql"]
    by_glob = [m.path.rsplit("/", 1)[1] for m in load_migrations([str(tmp_path / "V*.sql")])]
    assert by_glob == in_dir


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\n", "file is empty"),
        (b"-- only a comment\n", "holds no SQL statements"),
        (b"select 'caf\xe9';\n", "not valid UTF-8 (byte 0xe9 at column 12)"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.sql"
    path.write_bytes(content)
    with pytest.raises(BadInput) as info:
        read_sql_file(str(path))
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_non_utf8_error_names_the_line(tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes(b"select 1;\nselect 'caf\xe9';\n")
    with pytest.raises(BadInput) as info:
        read_sql_file(str(path))
    assert str(info.value).startswith(f"{path}:2: ")


def test_missing_path_and_empty_directory(tmp_path):
    with pytest.raises(BadInput, match="no such file or directory"):
        load_migrations([str(tmp_path / "missing.sql")])
    with pytest.raises(BadInput, match="directory holds no SQL files"):
        load_migrations([str(tmp_path)])
    with pytest.raises(BadInput, match="no file matches this pattern"):
        load_migrations([str(tmp_path / "*.sql")])


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.sql"
    path.write_bytes(b"select 1;\n" * 200_000)
    with pytest.raises(BadInput, match="over the 1 MB limit"):
        read_sql_file(str(path), max_bytes=1_000_000)


def test_a_large_dump_splits_quickly(tmp_path):
    # 20 MB of COPY data must not be lexed as SQL.
    rows = "".join(f"{i}\tvalue {i}; not sql 'quote\n" for i in range(600_000))
    text = f"CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n{rows}\\.\nSELECT 1;\n"
    statements, findings = split_script(text, "dump.sql")
    assert [s.sql.split()[0] for s in statements] == ["CREATE", "COPY", "SELECT"]
    assert findings == []


def test_the_lexer_character_classes_equal_their_unicode_definitions():
    """psql.py writes its classes as ASCII sets (fast to compile); they must match the
    Unicode-range definitions of Postgres's lexer for every code point."""
    import re

    from pgfence.sources import psql

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    definitions = {
        psql._IDENT_START: r"[A-Za-z_\x80-\U0010ffff]",
        psql._IDENT_CHAR: r"[\w\x80-\U0010ffff]",
        psql._IDENT_CHAR_OR_DOLLAR: r"[\w$\x80-\U0010ffff]",
        psql._OTHER: r"""[^\s\-/'"$\\;()A-Za-z_\x80-\U0010ffff]""",
    }
    for fast, reference in definitions.items():
        assert re.findall(fast, every) == re.findall(reference, every), reference


def test_file_ignores_are_read_from_line_and_block_comments_not_strings():
    text = (
        "/* pgfence-ignore-file: missing-lock-timeout */\n"
        "SELECT 'pgfence-ignore-file: drop-column';\n"
        "/*\n * pgfence-ignore-file: add-column-rewrite, Rename-Column\n */\n"
        "SELECT 1; -- pgfence-ignore-file: drop-index-blocks-reads\n"
    )
    assert file_ignores(text) == (
        ("missing-lock-timeout", 1),
        ("add-column-rewrite", 4),
        ("rename-column", 4),
        ("drop-index-blocks-reads", 6),
    )
