"""Every output format, produced by a real `pgfence analyze` and checked for what it says."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pgfence.analysis.analyze import build_report
from pgfence.model import Severity
from pgfence.reporting import github, html, junit, markdown, sarif
from pgfence.reporting.common import results as results_of
from pgfence.reporting.formats import FORMATS, RenderOptions, render
from pgfence.sources.sql import read_sql_file
from tests.reporting.conftest import errors
from tests.support import PGFENCE
from tests.support import pgfence as run

MIGRATION = """\
-- add a column, index it, validate a foreign key
BEGIN;
ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
CREATE INDEX accounts_email_idx ON accounts (email);
COMMIT;
ALTER TABLE orders ADD CONSTRAINT orders_account_fk
    FOREIGN KEY (account_id) REFERENCES accounts (id);
CREATE TABLE audit (id bigint PRIMARY KEY, note text);
"""


@pytest.fixture
def migration(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    path = folder / "0001_accounts.sql"
    path.write_text(MIGRATION)
    return path


def analyze(path: Path, **kw):
    return build_report([read_sql_file(str(path))], version=18, **kw)


def test_every_format_at_once_with_output_files(migration, tmp_path):
    outputs = [f"{fmt}={tmp_path / ('report.' + fmt)}" for fmt in FORMATS]
    result = run(
        "analyze",
        "--format",
        "json",
        *(a for o in outputs for a in ("--output", o)),
        str(migration),
    )
    assert result.returncode == 1  # high findings
    stdout = json.loads(result.stdout)
    for fmt in FORMATS:
        text = (tmp_path / f"report.{fmt}").read_text()
        assert text.strip(), fmt
    # The same report in every file: JSON on stdout and in the file agree.
    assert json.loads((tmp_path / "report.json").read_text()) == stdout
    # No colour codes in files, whatever the terminal.
    assert "\033[" not in (tmp_path / "report.table").read_text()


@pytest.mark.parametrize(
    "value",
    ["sarif", "pdf=out.pdf", "sarif=", "=out.sarif"],
    ids=["no-path", "unknown-format", "empty-path", "no-format"],
)
def test_a_bad_output_option_is_a_usage_error(migration, value):
    result = run("analyze", "--output", value, str(migration))
    assert result.returncode == 2
    assert result.stderr.startswith("pgfence: error: --output")
    assert "FORMAT=PATH" in result.stderr


def test_an_output_file_that_cannot_be_written_is_exit_2(migration, tmp_path):
    (tmp_path / "a-file").write_text("")  # missing folders are made, but not below a file
    result = run(
        "analyze", "--output", f"json={tmp_path / 'a-file' / 'such' / 'dir.json'}", str(migration)
    )
    assert result.returncode == 2
    assert "cannot write" in result.stderr


def test_missing_folders_of_an_output_file_are_made(migration, tmp_path):
    target = tmp_path / "no" / "such" / "dir.json"
    result = run("analyze", "--output", f"json={target}", str(migration))
    assert result.returncode == 1 and result.stderr == ""
    assert json.loads(target.read_text())["command"] == "analyze"


def test_table_has_no_colour_when_piped_even_with_findings(migration):
    result = run("analyze", str(migration))
    assert "high" in result.stdout and "\033[" not in result.stdout


def test_table_colours_only_for_a_terminal_and_respects_no_color(migration):
    report = analyze(migration)
    coloured = render("table", report, RenderOptions(color=True))
    plain = render("table", report, RenderOptions(color=False))
    assert "\033[31mhigh\033[0m" in coloured and "\033[" not in plain
    # The CLI decides: a terminal without NO_COLOR gets colour (checked through a pty).
    pty = pytest.importorskip("pty")
    import os

    for env_extra, expect_colour in (({}, True), ({"NO_COLOR": "1"}, False)):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env_extra
        leader, follower = pty.openpty()
        done = subprocess.run(
            [*PGFENCE, "analyze", str(migration)],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        out = b"".join(chunks).decode()
        assert done.returncode == 1
        assert ("\033[" in out) is expect_colour, env_extra


# ---- JSON --------------------------------------------------------------------------------


def test_json_report_of_analyze_validates_against_the_published_schema(migration, report_validator):
    result = run("analyze", "--format", "json", str(migration))
    assert errors(report_validator, json.loads(result.stdout)) == []


def test_the_json_schema_rejects_what_the_contract_does_not_allow(migration, report_validator):
    data = json.loads(run("analyze", "--format", "json", str(migration)).stdout)
    data["statements"][1]["predicted"]["locks"][0]["mode"] = "BigLock"
    data["summary"]["surprise"] = 1
    found = errors(report_validator, data)
    assert found  # the schema is not a rubber stamp


# ---- SARIF -------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(migration, sarif_validator):
    result = run("analyze", "--format", "sarif", str(migration))
    log = json.loads(result.stdout)
    assert errors(sarif_validator, log) == []
    assert log["version"] == "2.1.0"


def test_sarif_results_have_file_line_column_and_rules_have_help(migration):
    log = json.loads(sarif.render(analyze(migration)))
    [run_] = log["runs"]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    results = run_["results"]
    report = analyze(migration)
    assert len(results) == len(list(results_of(report)))
    assert {r["ruleId"] for r in results} == {r.finding.rule for r in results_of(report)}
    assert {"add-column-rewrite", "create-index-blocks-writes", "foreign-key-validation"} <= {
        r["ruleId"] for r in results
    }
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("migrations/0001_accounts.sql")
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        if result["ruleId"] != "lock-held-during-long-operation":
            assert "Safe rewrite:" in result["message"]["text"], result["ruleId"]
    index = next(r for r in results if r["ruleId"] == "create-index-blocks-writes")
    assert index["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 1}
    assert index["level"] == "error"
    assert "CREATE INDEX CONCURRENTLY" in index["message"]["text"]
    rule = rules["create-index-blocks-writes"]
    assert rule["shortDescription"]["text"].startswith("CREATE INDEX without CONCURRENTLY")
    assert "## Use instead" in rule["help"]["markdown"]
    assert "CONCURRENTLY" in rule["help"]["text"] and "##" not in rule["help"]["text"]
    assert rule["defaultConfiguration"]["level"] == "error"


def test_sarif_fingerprint_survives_a_moved_statement(tmp_path):
    first = tmp_path / "a.sql"
    first.write_text("CREATE INDEX i ON accounts (email);\n")
    moved = tmp_path / "b.sql"
    moved.write_text("\n\n-- comment\nCREATE INDEX i ON accounts (email);\n")
    prints = []
    for path in (first, moved):
        path_report = analyze(path)
        [result] = _index_results(sarif.render(path_report))
        prints.append(result["partialFingerprints"]["pgfenceStatement/v1"])
    # Different files -> different fingerprints; the same file keeps its own when lines move.
    assert prints[0] != prints[1]
    first.write_text("\n\nCREATE INDEX i ON accounts (email);\n")
    [again] = _index_results(sarif.render(analyze(first)))
    assert again["partialFingerprints"]["pgfenceStatement/v1"] == prints[0]


def _index_results(log: str) -> list[dict]:
    results = json.loads(log)["runs"][0]["results"]
    return [r for r in results if r["ruleId"] == "create-index-blocks-writes"]


# ---- GitHub annotations --------------------------------------------------------------------


_ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=([^:]+)::(.*)$"
)


def test_github_annotations_name_file_line_and_escape_newlines(migration):
    result = run("analyze", "--format", "github", str(migration))
    lines = result.stdout.splitlines()
    # One annotation per finding.
    assert len(lines) == len(list(results_of(analyze(migration))))
    parsed = [_ANNOTATION.match(line) for line in lines]
    assert all(parsed), lines
    by_title = {m.group(5): m for m in parsed if m}
    index = by_title["pgfence create-index-blocks-writes (high)"]
    assert index.group(1) == "error"
    assert index.group(2).endswith("migrations/0001_accounts.sql")
    assert (index.group(3), index.group(4)) == ("4", "1")
    assert "%0ASafe rewrite:%0A" in index.group(6) and "\n" not in index.group(6)


def test_github_annotations_below_fail_on_are_warnings(migration):
    report = analyze(migration, fail_on=Severity.CRITICAL)
    commands = {line.split(" ", 1)[0] for line in github.render(report).splitlines()}
    assert commands == {"::warning"}


def test_github_annotations_are_capped_at_ten_per_kind_most_severe_first(tmp_path):
    """GitHub drops annotations past 10 errors and 10 warnings of a step without a word."""
    sql = "".join(f"CREATE INDEX i{n} ON t{n} (c);\n" for n in range(12))  # high: errors
    sql += "".join(f"DROP INDEX j{n};\n" for n in range(12))  # medium: warnings
    sql += "".join(f"DROP TABLE d{n};\n" for n in range(3))  # critical, last in the file
    path = tmp_path / "0001_many.sql"
    path.write_text(sql)
    report = analyze(path)
    total = len(results_of(report))
    lines = github.render(report).splitlines()
    commands = [line.split(" ", 1)[0] for line in lines]
    assert commands.count("::error") == 10 and commands.count("::warning") == 10
    assert commands[:10] == ["::error"] * 10 and commands[10:20] == ["::warning"] * 10
    # The critical ones come first although the file ends with them.
    assert all("(critical)" in line for line in lines[:3])
    assert "(high)" in lines[3]
    assert commands[-1] == "::notice" and len(lines) == 21
    assert lines[-1].startswith(f"::notice title=pgfence%3A {total - 20} more::")
    assert f"{total - 20} more in the job summary" in lines[-1]
    assert "0001_many.sql" in markdown.render(report)  # the summary lists them


def test_github_annotations_under_the_cap_are_all_shown_without_a_count(migration):
    report = analyze(migration)
    lines = github.render(report).splitlines()
    assert len(lines) == len(results_of(report))
    assert not any("more in the job summary" in line for line in lines)


def test_github_notices_give_their_last_place_to_the_count():
    notices = [
        github.Annotation("notice", Severity.INFO, f"::notice title=n{n}::x") for n in range(12)
    ]
    lines = github._capped(notices).splitlines()
    assert lines[:9] == [f"::notice title=n{n}::x" for n in range(9)]
    assert len(lines) == 10 and "3 more in the job summary" in lines[-1]
    exactly_ten = github._capped(notices[:10]).splitlines()
    assert exactly_ten == [f"::notice title=n{n}::x" for n in range(10)]


def test_github_escapes_properties():
    assert github._property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


# ---- Markdown ------------------------------------------------------------------------------


def test_markdown_comment_has_verdict_risky_table_and_folded_recipes(migration):
    text = run("analyze", "--format", "markdown", str(migration)).stdout
    first = text.splitlines()[0]
    assert first.startswith("### pgfence analyze") and "FAILED" in first
    high = [r for r in results_of(analyze(migration)) if r.finding.severity >= Severity.HIGH]
    assert f"{len(high)} finding(s) at or above high" in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header, rows = table[0], table[1:]
    assert header == "| where | statement | locks | blocks | risk |"
    # CREATE TABLE audit blocks nobody: not listed.
    assert len(rows) == 3 and not any("audit" in row for row in rows)
    index_row = next(row for row in rows if "CREATE INDEX" in row)
    assert "accounts Share" in index_row and "**writes**" in index_row
    # Every finding folded in its own <details>.
    found = len(results_of(analyze(migration)))
    assert text.count("<details>") == found == text.count("</details>")
    assert "```sql\n-- outside any transaction block:\nCREATE INDEX CONCURRENTLY" in text


def test_markdown_escapes_pipes_in_cells(tmp_path):
    path = tmp_path / "p.sql"
    path.write_text("CREATE INDEX i ON accounts ((email || 'x'));\n")
    text = markdown.render(analyze(path))
    row = next(
        line for line in text.splitlines() if "CREATE INDEX" in line and line.startswith("|")
    )
    assert "&#124;&#124;" in row and row.count(" | ") == 4


def test_markdown_for_a_clean_run_says_so(tmp_path):
    path = tmp_path / "clean.sql"
    path.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    text = markdown.render(analyze(path))
    assert "✅ passed" in text and "No statement blocks reads or writes." in text


# ---- JUnit -------------------------------------------------------------------------------


def test_junit_one_case_per_statement_failing_at_fail_on(migration):
    text = run("analyze", "--format", "junit", str(migration)).stdout
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 6  # BEGIN, ALTER, CREATE INDEX, COMMIT, ALTER, CREATE TABLE
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("line") for c in failed] == ["3", "4", "6"]
    assert failed[1].find("failure").get("type") == "create-index-blocks-writes"
    assert (root.get("tests"), root.get("failures")) == ("6", "3")
    assert suite.get("failures") == "3"


def test_junit_below_fail_on_passes_with_the_findings_in_the_output(migration):
    root = ET.fromstring(junit.render(analyze(migration, fail_on=Severity.CRITICAL)))
    assert root.get("failures") == "0"
    outs = [c.find("system-out") for c in root.iter("testcase")]
    assert sum(o is not None for o in outs) == 3


# ---- HTML (static) -------------------------------------------------------------------------


def test_html_is_one_file_that_loads_nothing(migration):
    page = html.render(analyze(migration))
    assert page.startswith("<!DOCTYPE html>")
    # No scripts, no external stylesheets, images or fonts.
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert not re.search(r"url\((?!#)", page.replace("url(#blocks", "url(#"))
    assert "default-src 'none'" in page


def test_html_of_analyze_draws_the_predicted_locks_in_statement_order(migration):
    page = html.render(analyze(migration))
    assert 'data-observed="false"' in page
    bars = re.findall(
        r'<g class="bar" data-relation="([^"]+)" data-mode="([^"]+)" data-blocks="([^"]+)"', page
    )
    assert ("public.accounts", "AccessExclusiveLock", "reads+writes") in bars
    assert ("public.orders", "ShareRowExclusiveLock", "writes") in bars
    assert "statements in order (no dry-run" in page
