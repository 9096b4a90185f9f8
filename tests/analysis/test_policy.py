"""Transaction-level policies: how timeouts are followed through a session."""

from pgfence.analysis.analyze import analyse
from pgfence.analysis.catalog import Catalog
from pgfence.model import Migration
from pgfence.sources.sql import split_script


def _found(sql, runner=False):
    catalog = Catalog()
    for statement in split_script("CREATE TABLE accounts (id bigint PRIMARY KEY);", "s.sql")[0]:
        catalog.apply(statement.node)
    catalog.settle()
    statements, _ = split_script(sql, "m.sql", runner_transaction=runner)
    reports, _ = analyse(
        [Migration("m.sql", "sql", tuple(statements))], version=18, catalog=catalog
    )
    return [(f.location.line, f.rule, f.message) for r in reports for f in r.findings]


def _rules(sql, runner=False):
    return [(line, rule) for line, rule, _ in _found(sql, runner)]


def test_a_session_setting_made_inside_a_transaction_outlives_it():
    sql = "BEGIN;\nSET lock_timeout = '2s';\nCOMMIT;\nALTER TABLE accounts ADD COLUMN a int;\n"
    assert _rules(sql) == []


def test_set_local_ends_with_its_transaction():
    sql = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN a int;\nCOMMIT;\n"
        "ALTER TABLE accounts ADD COLUMN b int;\n"
    )
    assert _rules(sql) == [(5, "missing-lock-timeout")]


def test_reset_and_zero_turn_the_timeout_off():
    reset = (
        "SET lock_timeout = '2s';\nRESET lock_timeout;\nALTER TABLE accounts ADD COLUMN a int;\n"
    )
    assert _rules(reset) == [(3, "missing-lock-timeout")]
    zero = "SET lock_timeout = 0;\nALTER TABLE accounts ADD COLUMN a int;\n"
    [(line, rule, message)] = _found(zero)
    assert (line, rule) == (2, "missing-lock-timeout") and "turns it off" in message


def test_set_config_counts_as_setting_the_timeout():
    sql = (
        "SELECT set_config('lock_timeout', '3s', false);\nALTER TABLE accounts ADD COLUMN a int;\n"
    )
    assert _rules(sql) == []


def test_one_finding_per_file_for_autocommit_statements_naming_the_other_lines():
    sql = "ALTER TABLE accounts ADD COLUMN a int;\nALTER TABLE accounts ADD COLUMN b int;\n"
    [(line, rule, message)] = _found(sql)
    assert (line, rule) == (1, "missing-lock-timeout") and "(the same at line 2)" in message


def test_a_migration_that_blocks_nothing_needs_no_lock_timeout():
    sql = (
        "CREATE TABLE fresh (id bigint PRIMARY KEY);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_id2 ON accounts (id);\n"
        "ALTER TABLE fresh ADD COLUMN note text;\n"
    )
    assert _rules(sql) == []


def test_lock_timeout_ceiling_is_configurable():
    from pgfence.checks import RuleSettings

    sql = "SET lock_timeout = '30s';\nALTER TABLE accounts ADD COLUMN a int;\n"
    assert _rules(sql) == [(2, "lock-timeout-too-long")]
    statements, _ = split_script(sql, "m.sql")
    catalog = Catalog()
    reports, _ = analyse(
        [Migration("m.sql", "sql", tuple(statements))],
        version=18,
        catalog=catalog,
        settings=RuleSettings(max_lock_timeout_ms=60_000),
    )
    assert [f.rule for r in reports for f in r.findings] == []


def test_a_lock_rolled_back_to_a_savepoint_is_not_held_during_what_follows():
    held = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nSAVEPOINT s;\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n{between}UPDATE accounts SET id = id;\nCOMMIT;\n"
    )
    assert (6, "lock-held-during-long-operation") not in _rules(
        held.format(between="ROLLBACK TO SAVEPOINT s;\n")
    )
    # RELEASE keeps the lock: the UPDATE runs under it.
    assert (6, "lock-held-during-long-operation") in _rules(
        held.format(between="RELEASE SAVEPOINT s;\n")
    )
