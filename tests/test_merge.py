"""`pgfence report merge` and `report render`: a CI matrix's shard reports made into the
unsharded run's report, and any saved report rendered as the run would have rendered it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgfence.reporting.formats import FORMATS
from tests.conftest import MAJORS
from tests.support import pgfence as run
from tests.test_shards import HISTORY, strip_times

FIXTURES = Path(__file__).parent / "sources" / "fixtures"
CORPORA = ["flyway", "prisma", "drizzle", "alembic", "django", "sqitch", "knex", "typeorm"]


def shard_reports(tmp_path: Path, command: str, count: int, *args: str) -> list[str]:
    paths = []
    folder = tmp_path / f"reports-{len(list(tmp_path.glob('reports-*')))}"
    folder.mkdir()
    for k in range(1, count + 1):
        path = folder / f"{command}-{k}.json"
        done = run(command, "-o", f"json={path}", "-f", "json", "--shard", f"{k}/{count}", *args)
        assert done.returncode in (0, 1), done.stderr
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("corpus", CORPORA)
def test_four_analyze_shards_merge_into_the_unsharded_report_byte_for_byte(tmp_path, corpus):
    target = str(FIXTURES / corpus)
    whole = run("analyze", "-f", "json", target)
    parts = shard_reports(tmp_path, "analyze", 4, target)
    merged = tmp_path / "merged.json"
    done = run("report", "merge", *parts, "-o", str(merged))
    assert done.returncode == whole.returncode, done.stderr
    assert merged.read_text() == whole.stdout
    assert "shard" not in json.loads(merged.read_text())


def test_a_merged_report_renders_as_the_unsharded_run_in_every_format(tmp_path):
    target = str(FIXTURES / "flyway")
    merged = tmp_path / "merged.json"
    run("report", "merge", *shard_reports(tmp_path, "analyze", 3, target), "-o", str(merged))
    for fmt in FORMATS:
        whole = run("analyze", "-f", fmt, target)
        rendered = run("report", "render", str(merged), "-f", fmt)
        assert rendered.returncode == whole.returncode == 1, rendered.stderr
        assert rendered.stdout == whole.stdout, fmt


def test_merge_prints_any_format_and_writes_outputs(tmp_path, report_validator):
    target = str(FIXTURES / "flyway")
    parts = shard_reports(tmp_path, "analyze", 2, target)
    sarif = tmp_path / "out" / "pgfence.sarif"
    sarif.parent.mkdir()
    done = run("report", "merge", *parts, "-f", "github", "-o", f"sarif={sarif}")
    assert done.returncode == 1
    assert done.stdout == run("analyze", "-f", "github", target).stdout
    assert json.loads(sarif.read_text())["runs"][0]["results"]
    plain = run("report", "merge", *parts)  # JSON on stdout without -o
    assert report_validator.is_valid(json.loads(plain.stdout))
    for part in parts:  # a shard's report is valid too, with its `shard`
        assert report_validator.is_valid(json.loads(Path(part).read_text()))


def rewrite(path: str, change) -> str:
    data = json.loads(Path(path).read_text())
    change(data)
    Path(path).write_text(json.dumps(data))
    return path


def test_merge_refuses_what_is_not_one_run(tmp_path):
    target = str(FIXTURES / "flyway")
    a, b, c = shard_reports(tmp_path, "analyze", 3, target)

    def refused(*files: str) -> str:
        done = run("report", "merge", *files)
        assert done.returncode == 2 and done.stdout == "", done.stderr
        [line] = done.stderr.splitlines()
        assert "Traceback" not in line
        return line

    assert "shard(s) 2 of 3 for PostgreSQL 18 missing" in refused(a, c)
    assert f"shard 1/3 for PostgreSQL 18 given twice: {a} and {a}" in refused(a, a, b, c)
    other = shard_reports(tmp_path, "analyze", 2, str(FIXTURES / "prisma"))
    assert "different migrations (shard digest)" in refused(a, b, c, *other)
    old = rewrite(a, lambda d: d.update(pgfence_version="0.0.1"))
    line = refused(old, b, c)
    assert "different pgfence version" in line and "0.0.1" in line and old in line
    rewrite(
        a, lambda d: d.update(pgfence_version=json.loads(Path(b).read_text())["pgfence_version"])
    )
    whole = tmp_path / "whole.json"
    whole.write_text(run("analyze", "-f", "json", target).stdout)
    assert "only shards (--shard K/N) are merged" in refused(str(whole), a, b, c)
    pg15 = tmp_path / "pg15.json"
    pg15.write_text(run("analyze", "-f", "json", "--pg", "15", target).stdout)
    assert "only dry-runs make a version matrix" in refused(str(whole), str(pg15))
    assert "schema_version 1" in refused(rewrite(b, lambda d: d.update(schema_version=1)), a, c)
    (tmp_path / "x.json").write_text('{"schema_version": 3}')
    assert "not a pgfence JSON report" in refused(str(tmp_path / "x.json"))
    (tmp_path / "y.json").write_text("[1,")
    assert f"{tmp_path / 'y.json'}:1: not JSON" in refused(str(tmp_path / "y.json"))


def history_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in HISTORY.items():
        (folder / name).write_text(sql)
    return folder


def untimed(report: dict) -> dict:
    for version in report.get("versions", [report]):
        for statement in version["statements"]:
            strip_times(statement)
    return report


@pytest.mark.postgres
def test_four_dryrun_shards_merge_into_the_unsharded_report(tmp_path):
    target = str(history_dir(tmp_path))
    whole = run("dryrun", "-f", "json", target, timeout=300)
    merged = tmp_path / "merged.json"
    done = run("report", "merge", *shard_reports(tmp_path, "dryrun", 4, target), "-o", str(merged))
    assert done.returncode == whole.returncode, done.stderr
    expected = untimed(json.loads(whole.stdout))
    assert "not-run" not in expected["summary"]["verdicts"]
    assert untimed(json.loads(merged.read_text())) == expected


@pytest.mark.postgres
@pytest.mark.skipif(len(MAJORS) < 2, reason="needs two PostgreSQL majors")
def test_shards_of_two_majors_merge_into_the_version_matrix(tmp_path):
    target = str(history_dir(tmp_path))
    majors = sorted(MAJORS)[-2:]
    whole = run("dryrun", "-f", "json", "--pg", ",".join(map(str, majors)), target, timeout=600)
    assert whole.returncode in (0, 1), whole.stderr
    parts = [
        path
        for major in majors
        for path in shard_reports(tmp_path, "dryrun", 2, "--pg", str(major), target)
    ]
    done = run("report", "merge", *parts)
    assert done.returncode == whole.returncode, done.stderr
    assert untimed(json.loads(done.stdout)) == untimed(json.loads(whole.stdout))


@pytest.mark.postgres
def test_toast_tables_are_named_after_their_table_as_of_each_statement(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001.sql").write_text("CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n")
    (folder / "0002.sql").write_text("ALTER TABLE notes ALTER COLUMN id TYPE numeric;\n")
    (folder / "0003.sql").write_text(
        "ALTER TABLE notes RENAME TO memos;\nALTER TABLE memos ALTER COLUMN id TYPE bigint;\n"
    )
    done = run("dryrun", "-f", "json", str(folder), timeout=300)
    assert done.returncode in (0, 1), done.stderr
    statements = json.loads(done.stdout)["statements"]
    assert "pg_toast.pg_toast_" not in done.stdout  # no OID in any name
    rewrite, _, again = statements[1:]
    assert "pg_toast.public.notes" in rewrite["observed"]["rewritten"]
    assert rewrite["observed"]["rewritten"] == sorted(rewrite["observed"]["rewritten"])
    assert "pg_toast.public.memos" in again["observed"]["rewritten"]
    names = [r["relation"] for r in again["verdict"]["relations"]]
    assert names == sorted(names)
