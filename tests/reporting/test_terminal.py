"""What a migration names reaches a terminal or a CI log shown, never obeyed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from pgfence.reporting.terminal import cells, cut, json_safe, visible, visible_lines, wrap
from tests.support import PGFENCE, database_with
from tests.support import pgfence as run

# Every character a terminal obeys: C0 but the newline, DEL, C1, bidi controls, separators.
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)

TABLE = "evil\x1b[2J\x07\rname\u202e\x9b"
COLUMN = "c\n::warning::pwned\x0b"
INDEX = "idx\x1b]0;title\x07"
FILE_NAME = "0001_\x1b[2Jfile\u202e.sql"
SCHEMA = f'CREATE TABLE "{TABLE}" (id int PRIMARY KEY, body text);\n'
MIGRATION = (
    "-- a comment \x1b]0;title\x07 with \u2066bidi\u2069 and a\bbackspace\n"
    "SELECT 'lit\x1b[31m\x08\x08\u202eral\x85';\n"
    f'ALTER TABLE "{TABLE}" ADD COLUMN "{COLUMN}" int DEFAULT (random() * 10)::int;\n'
    f'CREATE INDEX "{INDEX}" ON "{TABLE}" (body);\n'
    'ALTER TABLE "missing\x1b[2J" ADD COLUMN x int;\n'
)
TEXT_FORMATS = ("table", "github", "markdown")


# ---- the helper ----------------------------------------------------------------------------


def test_visible_spells_out_controls_bidi_and_lone_surrogates():
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("\r\n\t\x08\x07\x00\x7f\x9b") == "\\r\\n\\t\\x08\\x07\\x00\\x7f\\x9b"
    assert visible("x\u202ey\u2066z\u2028") == "x\\u202ey\\u2066z\\u2028"
    assert visible("file\udcff.sql") == "file\\udcff.sql"  # os.fsdecode of a bad byte
    assert visible("naïve 日本 é") == "naïve 日本 é"  # printable text is left alone


def test_visible_lines_keeps_newlines_but_no_line_can_be_a_workflow_command():
    text = visible_lines("a\n  ::error::x\n::warning::y\n\u3000::z\nb::c\x1b")
    assert text == "a\n  \\x3a:error::x\n\\x3a:warning::y\n\u3000\\x3a:z\nb::c\\x1b"


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        (visible("ab\x1bcdef"), 6, "ab…"),  # never half of \x1b
        (visible("ab\x1bcdef"), 7, "ab\\x1b…"),
        ("e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"),  # é as e + combining acute
        ("日本語テキスト", 5, "日本…"),  # two columns each
        ("👩\u200d💻👩\u200d💻👩\u200d💻", 3, "👩\u200d💻…"),  # one emoji of three code points
        ("short", 10, "short"),
    ],
)
def test_cut_cuts_between_whole_characters_in_terminal_columns(text, width, expected):
    assert cut(text, width) == expected
    assert cells(cut(text, width)) <= width


def test_wrap_breaks_between_words_and_never_inside_an_escape():
    text = visible("SELECT 'lit\x1b[31m\x08\x08\u202eral' and more words")
    lines = wrap(text, 12)
    assert all(cells(line) <= 12 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for escape in ("\\x1b", "\\x08", "\\u202e"):
        assert any(escape in line for line in lines)


def test_json_safe_escapes_what_a_terminal_obeys_and_keeps_the_value():
    document = json.dumps({"name": TABLE, "note": "\x85\u2029"}, ensure_ascii=False)
    safe = json_safe(document)
    assert not RAW_CONTROL.search(safe)
    assert json.loads(safe) == {"name": TABLE, "note": "\x85\u2029"}


# ---- real runs --------------------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    migration = tmp_path / FILE_NAME
    migration.write_text(MIGRATION)
    return tmp_path / "schema.sql", migration


def assert_shown_not_obeyed(fmt: str, stdout: str) -> None:
    found = RAW_CONTROL.search(stdout)
    assert found is None, (
        f"{fmt}: raw {found.group()!r} in {stdout[max(0, found.start() - 60) :]!r}"
    )
    commands = [line for line in stdout.splitlines() if line.lstrip().startswith("::")]
    if fmt == "github":
        assert commands and all(re.match(r"::(error|warning|notice) file=", c) for c in commands)
        assert all(
            "::warning::pwned" not in c.partition("::")[2].partition("::")[0] for c in commands
        )
    else:
        assert commands == [], f"{fmt}: a line a CI runner would obey: {commands}"
    assert "\\x1b[2J" in stdout  # the name is there, spelled out


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_analyze_shows_hostile_names_in_every_text_format(hostile, fmt):
    _, migration = hostile
    result = run("analyze", "--format", fmt, str(migration))
    assert result.returncode == 1, result.stderr
    assert_shown_not_obeyed(fmt, result.stdout)
    assert "\\u202e" in result.stdout and "\\x9b" in result.stdout


def test_analyze_json_and_sarif_keep_the_exact_names(hostile, tmp_path):
    _, migration = hostile
    sarif_path = tmp_path / "out.sarif"
    result = run("analyze", "--format", "json", "-o", f"sarif={sarif_path}", str(migration))
    assert not RAW_CONTROL.search(result.stdout)
    data = json.loads(result.stdout)
    assert {s["file"] for s in data["statements"]} == {str(migration)}
    sqls = [s["sql"] for s in data["statements"]]
    assert f'ALTER TABLE "{TABLE}" ADD COLUMN "{COLUMN}" int DEFAULT (random() * 10)::int' in sqls
    assert "SELECT 'lit\x1b[31m\x08\x08\u202eral\x85'" in sqls
    locks = {lock["relation"] for s in data["statements"] for lock in s["predicted"]["locks"]}
    assert f"public.{TABLE}" in locks
    sarif_text = sarif_path.read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(sarif_text)
    sarif = json.loads(sarif_text)
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any(TABLE in m for m in messages)


def test_an_error_naming_a_hostile_file_is_one_visible_line(tmp_path):
    missing = tmp_path / "nope\x1b[2J\u202e.sql"
    result = run("analyze", str(missing))
    assert result.returncode == 2
    assert not RAW_CONTROL.search(result.stderr)
    assert result.stderr.count("\n") == 1 and "nope\\x1b[2J\\u202e.sql" in result.stderr


@pytest.mark.postgres
def test_dryrun_on_a_real_server_shows_hostile_names_in_every_format(hostile, tmp_path):
    schema, migration = hostile
    json_path = tmp_path / "out.json"
    outputs = [f"{fmt}={tmp_path / ('out.' + fmt)}" for fmt in ("github", "markdown", "sarif")]
    args = ["dryrun", "--schema", str(schema), "-o", f"json={json_path}"]
    for output in outputs:
        args += ["-o", output]
    result = run(*args, str(migration))
    assert result.returncode == 1, result.stderr
    assert_shown_not_obeyed("table", result.stdout)
    assert 'relation "missing\\x1b[2J" does not exist' in result.stdout.replace("\n", " ")
    for fmt in ("github", "markdown"):
        assert_shown_not_obeyed(fmt, (tmp_path / f"out.{fmt}").read_text(encoding="utf-8"))
    for path in (json_path, tmp_path / "out.sarif"):
        assert not RAW_CONTROL.search(path.read_text(encoding="utf-8"))
    data = json.loads(json_path.read_text(encoding="utf-8"))
    observed = {
        lock["relation"]
        for s in data["statements"]
        if s.get("observed")
        for lock in s["observed"]["locks"]
    }
    assert f"public.{TABLE}" in observed  # as the server named it, byte for byte
    errors = [s["observed"]["error"] for s in data["statements"] if s["observed"]["error"]]
    assert errors[0]["message"] == 'relation "missing\x1b[2J" does not exist'


@pytest.mark.postgres
def test_preflight_shows_a_sessions_hostile_name_and_query(pg, database_name, tmp_path):
    live = database_with(pg, database_name, SCHEMA, superuser=True)
    migration = tmp_path / "0042.sql"
    migration.write_text(f'ALTER TABLE "{TABLE}" ADD COLUMN plan text;\n')
    with psycopg.connect(live, application_name="worker\x1b[2J") as other:
        other.execute(f'SELECT count(*) /* \x1b]0;x\x07 \u202e */ FROM "{TABLE}"'.encode())
        for fmt in ("table", "json"):
            command = [*PGFENCE, "preflight", "--dsn", live, "--sample", "0", "-f", fmt]
            result = subprocess.run(
                [*command, str(migration)], capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 1, result.stderr
            assert not RAW_CONTROL.search(result.stdout), result.stdout
            if fmt == "json":
                [blocker] = json.loads(result.stdout)["blockers"]
                assert blocker["relation"] == f"public.{TABLE}"
                assert "\x1b]0;x\x07 \u202e" in blocker["session"]["query"]
            else:
                assert "\\x1b]0;x\\x07 \\u202e" in result.stdout.replace("\n", " ")
