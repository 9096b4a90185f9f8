"""Dry-run checks: what a real server did, turned into findings."""

from __future__ import annotations

import pytest

from pgfence.analysis.policy import StatementFacts
from pgfence.checks import RuleSettings
from pgfence.dryrun.findings import dynamic_findings
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import (
    Location,
    LockOnRelation,
    Observation,
    ObservedLock,
    Prediction,
    Statement,
    StatementReport,
    Verdict,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from pgfence.sources.sql import read_sql_file

STATEMENT = Statement("ALTER TABLE accounts ADD COLUMN n int", Location("m.sql", 3, 1))
AE_ON_ACCOUNTS = LockOnRelation("public.accounts", LockMode.ACCESS_EXCLUSIVE)


def _report(observation, verdict=None):
    return StatementReport(STATEMENT, Prediction(locks=(AE_ON_ACCOUNTS,)), (), observation, verdict)


BLOCKING_ACCOUNTS = StatementFacts(blocking=(AE_ON_ACCOUNTS,))


def _rules(observation, verdict=None, facts=BLOCKING_ACCOUNTS):
    found = dynamic_findings(_report(observation, verdict), facts, RuleSettings())
    return [(f.rule, str(f.severity)) for f in found]


def test_long_measured_blocking_is_reported_and_short_is_not():
    locks = (ObservedLock("public.accounts", LockMode.ACCESS_EXCLUSIVE),)
    slow = Observation(locks=locks, blocks_reads=True, blocks_writes=True, duration_ms=1500)
    quick = Observation(locks=locks, blocks_reads=True, blocks_writes=True, duration_ms=3)
    assert _rules(slow) == [("measured-blocking", "high")]
    assert _rules(quick) == []


def test_a_lock_held_across_a_long_transaction_is_reported_with_its_time():
    observation = Observation(duration_ms=4, held_ms=2300)
    found = dynamic_findings(
        _report(observation), StatementFacts(blocking=(AE_ON_ACCOUNTS,)), RuleSettings()
    )
    assert [f.rule for f in found] == ["lock-held-long"]
    assert "ACCESS EXCLUSIVE on accounts was held for 2.3 s" in found[0].message
    assert found[0].dynamic


def test_under_prediction_and_unexpected_rewrite_are_separate_findings():
    verdict = Verdict(
        VerdictKind.UNDER_PREDICTED,
        reasons=(
            "public.orders: took AccessExclusiveLock, predicted nothing",
            "public.orders: rewritten, not predicted",
            "public.accounts: predicted AccessExclusiveLock, took ShareLock",
        ),
        unpredicted=("public.orders: took AccessExclusiveLock, predicted nothing",),
        unpredicted_rewrites=("public.orders",),
    )
    assert _rules(Observation(duration_ms=2), verdict) == [
        ("under-predicted-lock", "high"),
        ("observed-rewrite", "high"),
    ]


def test_waiting_for_a_lock_is_reported():
    assert _rules(Observation(waited_for_lock=True)) == [("waited-for-lock", "medium")]


def test_tables_the_migration_created_do_not_count():
    locks = (ObservedLock("public.fresh", LockMode.ACCESS_EXCLUSIVE, new=True),)
    slow = Observation(locks=locks, blocks_reads=True, duration_ms=1500, held_ms=3000)
    assert _rules(slow, facts=StatementFacts(fresh=("public.fresh",))) == []


def test_dry_run_checks_can_be_disabled():
    settings = RuleSettings(disabled=frozenset({"waited-for-lock"}))
    report = _report(Observation(waited_for_lock=True))
    assert dynamic_findings(report, StatementFacts(), settings) == ()


# ---- on a real server ------------------------------------------------------------------------


def _dry_run(pg, tmp_path, database_name, schema, migration):
    schema_file = tmp_path / "schema.sql"
    schema_file.write_text(schema)
    path = tmp_path / "0001_migration.sql"
    path.write_text(migration)
    options = DryRunOptions(schema_file=str(schema_file), database=database_name)
    report = dry_run(pg, [read_sql_file(str(path))], options)
    return [(f.location.line, f.rule) for s in report.statements for f in s.findings], report


@pytest.mark.postgres
def test_failed_concurrent_build_reports_the_invalid_index_it_left(pg, tmp_path, database_name):
    schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
        "INSERT INTO accounts VALUES (1, 'a@example.com'), (2, 'a@example.com');\n"
    )
    migration = "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);\n"
    found, report = _dry_run(pg, tmp_path, database_name, schema, migration)
    assert (1, "statement-failed") in found
    assert (1, "invalid-index-left") in found
    [finding] = [f for f in report.statements[0].findings if f.rule == "invalid-index-left"]
    assert finding.recipe[-1].endswith(
        "DROP INDEX CONCURRENTLY IF EXISTS public.accounts_email_key;"
    )


@pytest.mark.postgres
def test_lock_held_across_a_slow_transaction_is_measured(pg, tmp_path, database_name):
    schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
    migration = (
        "BEGIN;\n"
        "SET LOCAL lock_timeout = '2s';\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "SELECT pg_sleep(1.2);\n"
        "COMMIT;\n"
    )
    found, report = _dry_run(pg, tmp_path, database_name, schema, migration)
    assert (3, "lock-held-long") in found
    held = report.statements[2].observation.held_ms
    assert held is not None and held >= 1200


@pytest.mark.postgres
def test_long_blocking_statement_is_measured(pg, tmp_path, database_name):
    schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
    migration = (
        "SET lock_timeout = '2s';\n"
        "DO $$ BEGIN LOCK TABLE accounts; PERFORM pg_sleep(1.1); END $$;\n"
        "SELECT pg_sleep(0);\n"
    )
    found, _ = _dry_run(pg, tmp_path, database_name, schema, migration)
    assert found == [(2, "measured-blocking")]
