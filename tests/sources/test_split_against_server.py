"""The statement splitter agrees with the server: what pgfence cuts is what Postgres runs.

The unit tests pin the divergences that once let `--dsn` commit; the fuzzing test (with
hypothesis) writes random scripts of quotes, dollar quotes, comments, escapes, Unicode
white space and `standard_conforming_strings` changes, sends each whole to a real server
through the simple query protocol (which runs every statement of the text, cut by the
server's own lexer) and compares the statements the server ran with pgfence's.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgfence.sources.psql import LexError, Scanner
from pgfence.sources.sql import parse_one, split_script


def pieces(text: str) -> list[str]:
    return [text[p.start : p.end] for p in Scanner(text)]


def test_a_carriage_return_ends_a_line_comment():
    text = "SELECT 1 -- x\r; COMMIT; DROP TABLE orders; SELECT 2\n, 3;"
    assert pieces(text) == ["SELECT 1", "COMMIT", "DROP TABLE orders", "SELECT 2\n, 3"]


def test_a_no_break_space_is_part_of_an_identifier_not_white_space_before_a_dollar_quote():
    text = "SELECT 1 AS \u00a0$x$; COMMIT; SELECT 1 AS b$x$;"
    assert pieces(text) == ["SELECT 1 AS \u00a0$x$", "COMMIT", "SELECT 1 AS b$x$"]


def test_with_standard_conforming_strings_off_a_backslash_escapes_a_quote():
    text = "SET standard_conforming_strings = off;\nSELECT 'x\\''; COMMIT; SELECT 1 --';\n"
    assert pieces(text)[1:] == ["SELECT 'x\\''", "COMMIT", "SELECT 1"]
    statements, _ = split_script(text, "m.sql")
    assert statements[1].refused is not None and statements[1].node is None
    assert statements[2].refused is None


def test_the_setting_is_followed_back_on_and_after_reset_all():
    text = (
        "SET standard_conforming_strings TO off;\nSELECT 'a\\'';\n"
        "RESET ALL;\nSELECT 'b\\';\n"
        "SET standard_conforming_strings = false;\nSELECT 'c\\'';\n"
        "SET SESSION standard_conforming_strings = 'on';\nSELECT 'd\\';\n"
    )
    assert [p for p in pieces(text) if p.startswith("SELECT")] == [
        "SELECT 'a\\''",
        "SELECT 'b\\'",
        "SELECT 'c\\''",
        "SELECT 'd\\'",
    ]
    statements, _ = split_script(text, "m.sql")
    selects = [s for s in statements if s.sql.startswith("SELECT")]
    assert [s.refused is not None for s in selects] == [True, False, True, False]
    assert [s.needs_standard_strings for s in selects] == [False, True, False, True]


def test_bit_and_unicode_strings_take_no_backslash_escapes_even_with_the_setting_off():
    text = "SET standard_conforming_strings = off;\nSELECT B'1\\', U&'\\0041\\'; SELECT 2;"
    assert pieces(text)[1:] == ["SELECT B'1\\', U&'\\0041\\'", "SELECT 2"]


@pytest.mark.parametrize(
    "change",
    [
        "SET LOCAL standard_conforming_strings = off",
        "SELECT set_config('standard_conforming_strings', 'off', false)",
    ],
)
def test_a_change_that_cannot_be_followed_makes_a_later_backslash_string_a_parse_error(change):
    text = f"{change};\nSELECT 'no backslash';\nSELECT 'x\\'';\n"
    with pytest.raises(LexError, match="cannot follow"):
        pieces(text)
    statements, findings = split_script(text, "m.sql")
    assert [s.sql for s in statements] == [change, "SELECT 'no backslash'"]
    assert [(f.rule, f.severity.name, f.location.line) for f in findings] == [
        ("parse-error", "CRITICAL", 3)
    ]


def test_a_statement_postgres_parses_as_several_is_refused():
    parsed = parse_one("SELECT 1; COMMIT")
    assert parsed.node is None and parsed.refused and "refused" in (parsed.error or "")


@pytest.mark.parametrize("meta", ["\\gexec", "\\if :flag", "\\elif :other", "\\else", "\\bind 'x'"])
def test_meta_commands_that_change_what_psql_sends_are_unanalysable(meta):
    _, findings = split_script(f"SELECT format('DROP TABLE %I', 't')\n{meta}\n", "m.sql")
    assert [f.rule for f in findings] == ["unanalysable"]


# ---- fuzzing against the server -------------------------------------------------------------

_WHITE = st.sampled_from([" ", "\t", "\n", "\r", "\r\n", "\f", "  \n "])
_CHUNKS_ON = ["a", ";", "\\", "''", "$x$", "$$", "--", "/*", "*/", "\r", "\n", "\u00a0", "é", '"']
_CHUNKS_OFF = ["a", ";", "\\\\", "\\'", "''", "$x$", "--", "/*", "\r", "\n", "\u00a0", '"']
_TAGS = st.sampled_from(["", "x", "ab_1", "é", "q9"])


def _text(chunks: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(chunks), max_size=6).map("".join)


@st.composite
def _item(draw: st.DrawFn, standard: bool) -> str:
    """Something that may follow `SELECT k` in a select list, valid in the current mode."""
    kind = draw(st.sampled_from(["string", "estring", "dollar", "comment"]))
    alias = draw(st.sampled_from(["", "alias", "qalias"])) if kind != "comment" else ""
    return draw(_expression(kind, standard)) + (draw(_alias(alias)) if alias else "")


@st.composite
def _alias(draw: st.DrawFn, kind: str) -> str:
    if kind == "alias":
        return " AS " + draw(st.sampled_from(["\u00a0$x$", "b$x$", "é$1", "x\u00a0y", "_$"]))
    body = draw(_text(["a", ";", "'", "$x$", "--", '""', "\u00a0", "\r"]))
    return f' AS "{body or "q"}"'


@st.composite
def _expression(draw: st.DrawFn, kind: str, standard: bool) -> str:
    if kind == "string":
        body = draw(_text(_CHUNKS_ON if standard else _CHUNKS_OFF))
        return f", '{body}'"
    if kind == "estring":
        body = draw(_text(["a", "\\\\", "\\'", "''", ";", "$x$", "--", "\n"]))
        return f", E'{body}'"
    if kind == "dollar":
        tag = draw(_TAGS)
        body = draw(_text(_CHUNKS_ON)).replace(f"${tag}$", "")
        if body.endswith("$"):
            body += " "
        return f", ${tag}${body}${tag}$"
    if draw(st.booleans()):
        return (
            " --"
            + draw(_text(["a", ";", "'", "$x$", "/*", "\u00a0"]))
            + draw(st.sampled_from(["\n", "\r"]))
        )
    inner = draw(_text(["a", ";", "'", "$x$", "--", "/* n */"]))
    return f" /*{inner}*/"


@st.composite
def scripts(draw: st.DrawFn) -> tuple[list[str], list[object]]:
    """A script in the pieces psql would send it in, and what the server's results must be:
    the k of each `SELECT k`, and 'SET' for each setting change.

    psql sends statement by statement, following standard_conforming_strings as the
    server reports it; the server, given a text of several statements, lexes all of it with
    the setting it had when the text arrived. So the oracle sends the statements between
    two setting changes as one text (cut by the server's lexer), and each SET on its own.
    """
    standard = True
    segments: list[str] = [""]
    expected: list[object] = []
    for k in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 4)) == 0:
            standard = not standard
            segments.append(f"SET standard_conforming_strings = {'on' if standard else 'off'};")
            segments.append("")
            expected.append("SET")
        items = "".join(draw(st.lists(_item(standard), max_size=4)))
        segments[-1] += f"SELECT {k}{items}" + draw(_WHITE) + ";" + draw(_WHITE)
        expected.append(k)
    return [s for s in segments if s], expected


def _server_results(conn: psycopg.Connection, segments: list[str]) -> list[object]:
    conn.execute("RESET standard_conforming_strings")
    results: list[object] = []
    with conn.cursor() as cur:
        for segment in segments:
            cur.execute(segment.encode())  # the simple protocol: split by the server
            while True:
                if cur.statusmessage == "SET":
                    results.append("SET")
                else:
                    row = cur.fetchone()
                    results.append(row[0] if row else None)
                if not cur.nextset():
                    break
    return results


def _pgfence_results(script: str) -> list[object]:
    statements, findings = split_script(script, "fuzz.sql")
    assert not [f for f in findings if f.rule == "parse-error"], findings
    results: list[object] = []
    for statement in statements:
        if statement.sql.startswith("SET"):
            results.append("SET")
        else:
            k = re.match(r"SELECT (\d+)", statement.sql)
            results.append(int(k.group(1)) if k else statement.sql)
    return results


@pytest.mark.postgres
def test_pgfence_cuts_random_scripts_exactly_where_the_server_does(pg):
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:

        @settings(
            max_examples=250,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            derandomize=True,
        )
        @given(scripts())
        def check(case: tuple[list[str], list[object]]) -> None:
            segments, expected = case
            assert _server_results(conn, segments) == expected  # the generator writes valid SQL
            assert _pgfence_results("".join(segments)) == expected

        check()


def test_one_query_is_cut_with_the_setting_it_arrives_with(pg):
    """An ORM sends its raw SQL as one query, which the server lexes whole before the SET
    in it runs: so does pgfence."""
    text = "SET standard_conforming_strings = off; SELECT 'x\\'' ; SELECT 1"
    statements, findings = split_script(text, "m.py", one_query=True)
    assert [f.rule for f in findings] == ["parse-error"]
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as conn,
        pytest.raises(psycopg.errors.SyntaxError),
    ):
        conn.execute(text.encode())
    assert [s.sql for s in statements] == ["SET standard_conforming_strings = off"]
