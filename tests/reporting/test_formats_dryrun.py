"""The formats that show observations, produced by real dry-runs on real servers."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pgfence.dryrun.matrix import run_matrix
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers import ServerChoice
from pgfence.model import Report, Verdict, VerdictKind
from pgfence.reporting import github, html, junit, markdown, sarif
from pgfence.reporting import json as json_report
from pgfence.reporting import matrix as matrix_report
from pgfence.reporting import timeline as tl
from pgfence.reporting.formats import FORMATS, RenderOptions, render
from pgfence.sources import load_migrations
from tests.conftest import MAJORS
from tests.reporting.conftest import errors

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);
INSERT INTO accounts SELECT g, 'user' || g FROM generate_series(1, 300) g;
INSERT INTO orders SELECT g, 1 + g % 300 FROM generate_series(1, 300) g;
"""

MIGRATION = """\
BEGIN;
ALTER TABLE accounts ADD COLUMN note text;
SELECT pg_sleep(0.2);
CREATE INDEX accounts_email_idx ON accounts (email);
COMMIT;
CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);
ALTER TABLE orders ADD COLUMN missing_type no_such_type;
ALTER TABLE orders ADD COLUMN after_failure int;
"""


@pytest.fixture
def report(pg, tmp_path, database_name) -> Report:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    migration = tmp_path / "0001_orders.sql"
    migration.write_text(MIGRATION)
    options = DryRunOptions(schema_file=str(tmp_path / "schema.sql"), database=database_name)
    return dry_run(pg, load_migrations([str(migration)]), options)


def test_dryrun_json_validates_against_the_published_schema(report, report_validator):
    data = json.loads(json_report.render(report))
    assert errors(report_validator, data) == []
    assert data["statements"][1]["observed"]["held_ms"] >= 200


def test_dryrun_sarif_validates_and_reports_the_failed_statement(report, sarif_validator):
    log = json.loads(sarif.render(report))
    assert errors(sarif_validator, log) == []
    [run] = log["runs"]
    assert run["properties"]["server"]["backend"] == "embedded"
    failed = [r for r in run["results"] if r["ruleId"] == "statement-failed"]
    assert len(failed) == 1
    region = failed[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 7 and region["startColumn"] >= 1
    assert failed[0]["properties"]["dynamic"] is True


def test_an_under_predicted_statement_is_a_result_everywhere(report, sarif_validator):
    # The static table agrees with every server we run, so no real migration is
    # under-predicted; mark one as the verdict stage would.
    statements = list(report.statements)
    s = statements[1]
    statements[1] = dataclasses.replace(
        s,
        verdict=Verdict(VerdictKind.UNDER_PREDICTED, reasons=("took AccessExclusiveLock",)),
    )
    surprised = dataclasses.replace(report, statements=tuple(statements))
    log = json.loads(sarif.render(surprised))
    assert errors(sarif_validator, log) == []
    ids = [r["ruleId"] for r in log["runs"][0]["results"]]
    assert "under-predicted-lock" in ids
    assert "::error file=" in github.render(surprised)
    assert "under-predicted-lock" in github.render(surprised)
    root = ET.fromstring(junit.render(surprised))
    case = next(c for c in root.iter("testcase") if c.get("line") == "2")
    assert case.find("failure").get("type") == "under-predicted-lock"
    assert "**under-predicted**" in markdown.render(surprised)


def test_dryrun_junit_fails_the_failed_statement_and_skips_what_did_not_run(report):
    root = ET.fromstring(junit.render(report))
    cases = {c.get("line"): c for c in root.iter("testcase")}
    assert cases["7"].find("failure").get("type") == "statement-failed"
    skipped = cases["8"].find("skipped")
    assert skipped is not None and "failed" in skipped.get("message")
    assert float(cases["3"].get("time")) >= 0.2  # pg_sleep(0.2)
    assert root.get("skipped") == "1"


def test_dryrun_markdown_shows_observed_locks_and_verdicts(report):
    text = markdown.render(report)
    assert text.splitlines()[0].startswith("### pgfence dryrun · PostgreSQL ")
    assert "| where | statement | locks | blocks | risk | verdict |" in text
    index_row = next(line for line in text.splitlines() if "accounts_email_idx" in line)
    assert "accounts Share" in index_row and "confirmed" in index_row


def test_timeline_bars_run_to_the_end_of_their_transaction(report):
    timeline = tl.build(report)
    assert timeline.observed
    alter = next(b for b in timeline.bars if b.first_slot == 1 and b.lane == "public.accounts")
    assert alter.mode.pg_name == "AccessExclusiveLock"
    assert alter.last_slot == 4  # held until COMMIT
    assert alter.held_ms is not None and alter.held_ms >= 200
    assert alter.blocks == "reads+writes"
    concurrent = next(b for b in timeline.bars if b.first_slot == 5 and b.lane == "public.orders")
    assert concurrent.mode.pg_name == "ShareUpdateExclusiveLock"
    assert concurrent.last_slot == 5 and concurrent.blocks == "none"
    sleep = timeline.slots[2]
    assert sleep.duration_ms >= 200 and sleep.blocks_reads is True  # the ALTER's lock
    assert not timeline.slots[7].ran


def test_dryrun_html_has_the_timeline_verdicts_and_recipes(report):
    page = html.render(report)
    assert 'data-observed="true"' in page
    assert re.search(r'<g class="lane" data-relation="public.accounts">', page)
    assert re.search(r'<g class="lane" data-relation="public.orders">', page)
    verdicts = re.findall(
        r'<g class="statement" data-index="\d+" data-line="\d+" data-verdict="([^"]*)"', page
    )
    assert verdicts[:2] == ["confirmed", "confirmed"] and verdicts[-1] == "not-run"
    assert page.count('class="blocked"') >= 2
    assert "no_such_type" in page  # the failing statement and its error


def test_the_cli_writes_every_format_from_one_dry_run(tmp_path, report_validator, sarif_validator):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    migration = tmp_path / "0001_index.sql"
    migration.write_text("CREATE INDEX accounts_email_idx ON accounts (email);\n")
    outputs = [a for fmt in FORMATS for a in ("--output", f"{fmt}={tmp_path / ('out.' + fmt)}")]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgfence.cli",
            "dryrun",
            "--schema",
            str(tmp_path / "schema.sql"),
            "--format",
            "github",
            *outputs,
            str(migration),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("::error file=")
    assert errors(report_validator, json.loads((tmp_path / "out.json").read_text())) == []
    assert errors(sarif_validator, json.loads((tmp_path / "out.sarif").read_text())) == []
    assert "confirmed" in (tmp_path / "out.table").read_text()
    assert 'data-observed="true"' in (tmp_path / "out.html").read_text()
    assert ET.fromstring((tmp_path / "out.junit").read_text()).get("failures") == "1"


def test_matrix_reports_render_in_every_format(tmp_path, report_validator, sarif_validator):
    if 18 not in MAJORS or len(MAJORS) < 2:
        pytest.skip("needs PostgreSQL 18 and an older major")
    majors = [min(MAJORS), 18]
    grant = REPO / "scenarios" / "grant"
    matrix = run_matrix(
        [ServerChoice(pg=m) for m in majors],
        load_migrations([str(grant / "migration.sql")]),
        DryRunOptions(schema_file=str(grant / "schema.sql")),
    )
    data = json.loads(matrix_report.render_json(matrix))
    assert errors(report_validator, data) == []
    log = json.loads(sarif.render_matrix(matrix))
    assert errors(sarif_validator, log) == []
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        f"pgfence/pg{m}/" for m in majors
    ]
    root = ET.fromstring(junit.render_matrix(matrix))
    assert len(root.findall("testsuite")) == 2
    text = markdown.render_matrix(matrix)
    assert "1 statement(s) behave differently" in text
    assert f"| where | statement | PG {majors[0]} | PG 18 |" in text
    notice = github.render_matrix(matrix).splitlines()[-1]
    assert notice.startswith("::notice file=") and "PG 18: accounts AccessShare" in notice
    page = html.render_matrix(matrix)
    assert page.count('class="timeline"') == 2 and "behave differently" in page
    for fmt in FORMATS:
        assert render(fmt, matrix, RenderOptions()).strip()
