"""What a result rests on that pgfence did not know is said in every format, next to it."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support import pgfence as run

TYPE_CHANGE = "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\n"
UNKNOWN_TYPE = "the current type of public.accounts.email is unknown: a rewrite is assumed"
EMPTY_TABLES = "tables held only the starting schema's rows"
WIDE = dict(os.environ, COLUMNS="200")


def migration(tmp_path: Path) -> str:
    path = tmp_path / "0001_type.sql"
    path.write_text(TYPE_CHANGE)
    return str(path)


def test_without_schema_the_assumed_rewrite_is_in_every_format(tmp_path):
    path = migration(tmp_path)
    table = run("analyze", path, env=WIDE).stdout
    assert "\nAssumed\n" in table and UNKNOWN_TYPE in table
    assert "(assumed)" in table  # on the row, next to "rewrite"
    data = json.loads(run("analyze", "-f", "json", path).stdout)
    assert data["assumptions"] == [
        {"text": UNKNOWN_TYPE + " (give --schema to decide)", "file": path, "line": 1}
    ]
    markdown = run("analyze", "-f", "markdown", path).stdout
    assert "**Assumed**" in markdown and UNKNOWN_TYPE in markdown
    html = run("analyze", "-f", "html", path).stdout
    assert "<h3>Assumed</h3>" in html and UNKNOWN_TYPE in html
    sarif = json.loads(run("analyze", "-f", "sarif", path).stdout)
    [note] = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "note" and UNKNOWN_TYPE in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    junit = ET.fromstring(run("analyze", "-f", "junit", path).stdout)
    assumed = [p.get("value") for p in junit.iter("property") if p.get("name") == "assumed"]
    assert len(assumed) == 1 and UNKNOWN_TYPE in assumed[0]


def test_with_schema_nothing_is_assumed(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n")
    path = migration(tmp_path)
    table = run("analyze", "--schema", str(schema), path, env=WIDE).stdout
    assert "Assumed" not in table and "(assumed)" not in table
    data = json.loads(run("analyze", "--schema", str(schema), "-f", "json", path).stdout)
    assert data["assumptions"] == []


@pytest.mark.postgres
def test_an_unseeded_dry_run_says_its_tables_were_empty(tmp_path, report_validator):
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n")
    path = migration(tmp_path)
    out = tmp_path / "report.json"
    result = run(
        "dryrun",
        "--schema",
        str(schema),
        "-o",
        f"json={out}",
        "-o",
        f"sarif={tmp_path / 's'}",
        path,
        env=WIDE,
    )
    assert result.returncode == 1, result.stderr
    header = result.stdout.split("\n\n")[0]
    assert "assumed: " + EMPTY_TABLES in header and "--seed or --stats-from" in header
    data = json.loads(out.read_text())
    assert not list(report_validator.iter_errors(data))
    [whole_run] = [a for a in data["assumptions"] if a["file"] is None]
    assert whole_run["line"] is None and EMPTY_TABLES in whole_run["text"]
    sarif = json.loads((tmp_path / "s").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any(EMPTY_TABLES in n["message"]["text"] and "locations" not in n for n in notes)
