import json

from pgfence.analysis.analyze import build_report
from pgfence.model import Severity
from pgfence.reporting import json as json_report
from pgfence.reporting import table
from pgfence.sources.sql import read_sql_file


def _report(tmp_path, sql, **kw):
    path = tmp_path / "0001_x.sql"
    path.write_text(sql)
    return build_report([read_sql_file(str(path))], version=kw.pop("version", 18), **kw)


def test_json_contract(tmp_path):
    report = _report(
        tmp_path,
        "BEGIN;\nALTER TABLE accounts ADD COLUMN t uuid DEFAULT gen_random_uuid();\nCOMMIT;\n",
    )
    data = json.loads(json_report.render(report))
    assert set(data) == {
        "pgfence_version",
        "schema_version",
        "command",
        "pg_version",
        "statements",
        "findings",
        "assumptions",
        "summary",
    }
    assert data["pg_version"] == 18
    stmt = data["statements"][1]
    assert stmt["file"].endswith("0001_x.sql")
    assert (stmt["line"], stmt["column"]) == (2, 1)
    assert stmt["sql"].startswith("ALTER TABLE accounts")
    assert stmt["transaction"] == "explicit"
    predicted = stmt["predicted"]
    assert predicted["locks"] == [
        {
            "relation": "public.accounts",
            "mode": "AccessExclusiveLock",
            "kind": "table",
            "role": "target",
            "new": False,
            "blocks_reads": True,
            "blocks_writes": True,
        }
    ]
    assert predicted["blocks_reads_of"] == ["public.accounts"]
    assert predicted["rewrite"] is True
    assert predicted["table_scan"] is True
    assert predicted["blocks_reads"] is True and predicted["blocks_writes"] is True
    assert [f["rule"] for f in stmt["findings"]] == [
        "add-column-rewrite",
        "missing-lock-timeout",
        "missing-statement-timeout",
    ]
    finding = stmt["findings"][0]
    assert finding["severity"] == "high" and finding["line"] == 2 and finding["recipe"]
    summary = data["summary"]
    assert summary["statements"] == 3 and summary["rewrites"] == 1 and summary["failed"] is True
    assert summary["findings"]["high"] == 1


def test_fail_on_decides_failure(tmp_path):
    sql = "DROP INDEX accounts_email_idx;\n"
    assert not _report(tmp_path, sql).failed
    assert _report(tmp_path, sql, fail_on=Severity.MEDIUM).failed


def test_table_fits_100_columns(tmp_path):
    report = _report(
        tmp_path,
        "ALTER TABLE accounts ADD CONSTRAINT accounts_account_owner_fk FOREIGN KEY (owner_id) "
        "REFERENCES account_owners (id);\nCREATE INDEX accounts_email_idx ON accounts (email);\n",
    )
    text = table.render(report, width=100)
    rows = text.split("Findings")[0].splitlines()
    assert max(len(line) for line in rows) <= 100, "\n".join(rows)
    assert "account_owners ShareRowExclusive" in text
    assert "FAILED" in text


def test_blocking_is_said_per_relation_attach_partition_blocks_only_the_partitions_readers(
    tmp_path,
):
    report = _report(
        tmp_path,
        "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2025 (id int, at date);\n"
        "COMMIT;\n"
        "ALTER TABLE events ATTACH PARTITION events_2025"
        " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n",
    )
    data = json.loads(json_report.render(report))
    predicted = data["statements"][-1]["predicted"]
    assert data["schema_version"] == 3
    assert predicted["blocks_reads"] is True
    assert predicted["blocks_reads_of"] == ["public.events_2025"]
    assert predicted["blocks_writes_of"] == ["public.events_2025"]
    by_relation = {lock["relation"]: lock for lock in predicted["locks"]}
    # SHARE UPDATE EXCLUSIVE on the parent: its readers and writers go on.
    assert by_relation["public.events"]["blocks_reads"] is False
    assert by_relation["public.events"]["blocks_writes"] is False
    assert by_relation["public.events_2025"]["blocks_reads"] is True


def test_the_table_says_whose_readers_are_blocked_and_what_the_schema_would_tell(tmp_path):
    report = _report(
        tmp_path,
        "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2025 (id int, at date);\n"
        "COMMIT;\n"
        "ALTER TABLE events ATTACH PARTITION events_2025"
        " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
        "DELETE FROM teams;\n",
    )
    text = table.render(report, width=100)
    assert "of events_2025" in text
    unknown = text.split("Unknown without the schema (give --schema)")[1].split("Findings")[0]
    unknown = " ".join(unknown.split())  # as one line, however it wrapped
    assert "0001_x.sql:5" in unknown and "public.teams is not in the known schema" in unknown
    assert "events" not in unknown  # created by the migration: known
