"""Per-relation blocking, measured on a real server: which relation's readers and writers
a statement keeps out, not only whether it keeps some out."""

from __future__ import annotations

import json

import pytest

from pgfence.dryrun import probe
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.reporting import json as json_report
from pgfence.sources.sql import read_sql_file

SCHEMA = """
CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id int, at date);
INSERT INTO events SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 300) g;
"""

MIGRATION = (
    "ALTER TABLE events ATTACH PARTITION events_2025"
    " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
)


@pytest.mark.postgres
def test_attach_partition_keeps_out_the_partitions_readers_not_the_parents(
    pg, database_name, tmp_path, report_validator
):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA)
    migration = tmp_path / "0001_attach.sql"
    migration.write_text(MIGRATION)
    report = dry_run(
        pg,
        [read_sql_file(str(migration))],
        DryRunOptions(schema_file=str(schema), database=database_name),
    )
    [statement] = report.statements
    observed = statement.observation
    assert observed is not None and observed.blocks_reads is True
    # Measured with LOCK … NOWAIT per table: the parent's readers and writers get in.
    assert observed.reads_blocked_on == ("public.events_2025",)
    assert observed.writes_blocked_on == ("public.events_2025",)
    assert statement.prediction.reads_blocked_on == observed.reads_blocked_on
    assert statement.prediction.writes_blocked_on == observed.writes_blocked_on
    data = json.loads(json_report.render(report))
    report_validator.validate(data)
    locks = data["statements"][0]["observed"]["locks"]
    parent = [lock for lock in locks if lock["relation"] == "public.events"]
    assert parent and not any(lock["blocks_reads"] or lock["blocks_writes"] for lock in parent)


VIEW_SCHEMA = """
CREATE TABLE accounts (id int PRIMARY KEY, email text);
CREATE VIEW account_emails AS SELECT id, email FROM accounts;
"""


def _run_in_transaction(pg, database_name, tmp_path, statements: list[str]):
    schema = tmp_path / "schema.sql"
    schema.write_text(VIEW_SCHEMA)
    migration = tmp_path / "0001_tx.sql"
    migration.write_text("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n")
    report = dry_run(
        pg,
        [read_sql_file(str(migration))],
        DryRunOptions(schema_file=str(schema), database=database_name),
    )
    return [s.observation for s in report.statements[1:-1]]


@pytest.mark.postgres
def test_a_table_kept_from_readers_and_writers_is_not_tried_again_in_its_transaction(
    pg, database_name, tmp_path, monkeypatch
):
    tried: list[str] = []
    real = probe._try_read_write

    def counting(conn, ident):
        tried.append(ident)
        return real(conn, ident)

    monkeypatch.setattr(probe, "_try_read_write", counting)
    add, comment = _run_in_transaction(
        pg,
        database_name,
        tmp_path,
        [
            "ALTER TABLE accounts ADD COLUMN n int;",
            "COMMENT ON TABLE accounts IS 'a new lock, SHARE UPDATE EXCLUSIVE';",
        ],
    )
    assert add is not None and comment is not None
    assert tried == ['"public"."accounts"']  # once, for the ALTER TABLE
    # What the try would have answered again.
    assert comment.reads_blocked_on == comment.writes_blocked_on == ("public.accounts",)
    assert comment.select_blocked == add.select_blocked == ("public.accounts",)


@pytest.mark.postgres
def test_a_view_is_tried_again_when_its_table_was_locked_since(pg, database_name, tmp_path):
    """A weak lock on the view, after a strong one on its table: LOCK TABLE on the view
    takes the table along, so the view's readers are kept out now."""
    comment, _lock, read = _run_in_transaction(
        pg,
        database_name,
        tmp_path,
        [
            "COMMENT ON VIEW account_emails IS 'first tried: readers get in';",
            "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;",
            "SELECT count(*) FROM account_emails;",
        ],
    )
    assert comment is not None and comment.reads_blocked_on == ()
    assert read is not None and "public.account_emails" in read.reads_blocked_on
