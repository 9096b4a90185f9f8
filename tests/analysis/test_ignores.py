"""Ignore comments: on a statement, for a whole file, and those that silence nothing."""

from pgfence.analysis.analyze import analyse
from pgfence.checks import RuleSettings
from pgfence.model import Migration, Severity
from pgfence.sources.sql import file_ignores, split_script

SAFE_PRELUDE = "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"


def _run(sql, settings=None):
    statements, findings = split_script(sql, "m.sql")
    migration = Migration("m.sql", "sql", tuple(statements), tuple(findings), file_ignores(sql))
    reports, file_findings = analyse([migration], version=18, settings=settings)
    found = file_findings + [f for r in reports for f in r.findings]
    return [(f.rule, f.location.line) for f in found], found


def test_ignore_that_matches_nothing_is_reported_on_its_statement():
    sql = (
        SAFE_PRELUDE
        + "-- pgfence-ignore: create-index-blocks-writes\nALTER TABLE accounts ADD COLUMN n int;\n"
    )
    rules, found = _run(sql)
    assert rules == [("unused-ignore", 4)]
    assert "create-index-blocks-writes does not fire on this statement" in found[0].message


def test_ignore_naming_no_check_is_reported():
    sql = SAFE_PRELUDE + "ALTER TABLE accounts ADD COLUMN n int; -- pgfence-ignore: no-such-rule\n"
    rules, found = _run(sql)
    assert rules == [("unused-ignore", 3)]
    assert "names no check" in found[0].message


def test_file_level_ignore_silences_every_statement_of_the_file():
    sql = (
        "-- pgfence-ignore-file: missing-lock-timeout, create-index-blocks-writes\n"
        "SET statement_timeout = '5min';\n"
        "CREATE INDEX a_idx ON accounts (a);\nCREATE INDEX b_idx ON accounts (b);\n"
    )
    rules, _ = _run(sql)
    assert rules == []


def test_file_level_ignore_that_matches_nothing_is_reported_at_its_line():
    sql = (
        SAFE_PRELUDE
        + "-- pgfence-ignore-file: drop-index-blocks-reads\nALTER TABLE accounts ADD COLUMN n int;\n"
    )
    rules, found = _run(sql)
    assert rules == [("unused-ignore", 3)]
    assert "pgfence-ignore-file: drop-index-blocks-reads" in found[0].message


def test_ignore_of_a_disabled_rule_is_not_reported():
    sql = (
        SAFE_PRELUDE
        + "-- pgfence-ignore: create-index-blocks-writes\nALTER TABLE accounts ADD COLUMN n int;\n"
    )
    rules, _ = _run(sql, RuleSettings(disabled=frozenset({"create-index-blocks-writes"})))
    assert rules == []


def test_ignore_silences_a_policy_finding_too():
    sql = "-- pgfence-ignore: missing-lock-timeout\nALTER TABLE accounts ADD COLUMN n int;\n"
    rules, _ = _run(sql)
    assert rules == []


def test_severity_override_and_disable():
    sql = "ALTER TABLE accounts ADD COLUMN n int;\n"
    _, found = _run(sql, RuleSettings(severity={"missing-lock-timeout": Severity.LOW}))
    assert [str(f.severity) for f in found] == ["low"]
    rules, _ = _run(sql, RuleSettings(disabled=frozenset({"missing-lock-timeout"})))
    assert rules == []


def test_file_level_ignore_silences_a_finding_about_the_file_itself():
    from pgfence.model import Finding, Location

    sql = "-- pgfence-ignore-file: flyway-mixed-transaction\nSELECT 1;\n"
    statements, _ = split_script(sql, "V1__x.sql")
    mixed = Finding("flyway-mixed-transaction", Severity.HIGH, "mixed", Location("V1__x.sql", 2, 1))
    migration = Migration("V1__x.sql", "flyway", tuple(statements), (mixed,), file_ignores(sql))
    reports, file_findings = analyse([migration], version=18)
    assert file_findings == [] and [f for r in reports for f in r.findings] == []
    unignored = Migration("V1__x.sql", "flyway", tuple(statements), (mixed,))
    _, file_findings = analyse([unignored], version=18)
    assert [f.rule for f in file_findings] == ["flyway-mixed-transaction"]


def test_a_bare_ignore_silences_every_check_of_its_statement_only():
    sql = (
        "-- pgfence-ignore\nCREATE INDEX i ON accounts (email);\n"
        "DROP INDEX old_idx; -- pgfence: ignore\n"
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
    )
    rules, _ = _run(SAFE_PRELUDE + sql)
    assert rules == [("set-not-null-scan", 6)]


def test_a_bare_ignore_on_a_statement_nothing_fires_on_is_reported():
    rules, found = _run(SAFE_PRELUDE + "-- pgfence-ignore\nCREATE TABLE t (id bigint);\n")
    assert rules == [("unused-ignore", 4)]
    assert found[0].message == (
        "`pgfence-ignore` names no check and none fires on this statement: remove it"
    )
