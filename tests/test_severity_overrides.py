"""Every finding obeys --severity, --disable and the config file, whichever stage raised it.

A source (a migration format), a rule, a policy and a dry-run check each raise one
finding here; the command line and the config file (pyproject.toml, pgfence.toml, a
per-path override) change its severity or switch it off, and the exit code follows.
Bug fixed: a finding raised by a source (flyway-mixed-transaction, psql-meta-command, …)
or a hit with a severity of its own kept its severity whatever the settings said.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pgfence.analysis.policy import StatementFacts
from pgfence.checks import PathOverride, RuleSettings
from pgfence.dryrun.findings import dynamic_findings
from pgfence.model import (
    Location,
    LockOnRelation,
    Observation,
    Prediction,
    Severity,
    Statement,
    StatementReport,
    Verdict,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from tests.support import pgfence as run

MIXED = (
    "SET lock_timeout = '2s';\n"
    "ALTER TABLE accounts ADD COLUMN email text;\n"
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
)


@pytest.fixture
def flyway(tmp_path: Path) -> Path:
    """A Flyway project whose one script mixes transactional and non-transactional SQL."""
    (tmp_path / "db" / "migration").mkdir(parents=True)
    (tmp_path / "db" / "migration" / "V1__mixed.sql").write_text(MIXED)
    return tmp_path


def findings(stdout: str) -> dict[str, str]:
    """rule -> severity of every finding of a JSON report (file and statement findings)."""
    data = json.loads(stdout)
    found = [*data["findings"], *(f for s in data["statements"] for f in s["findings"])]
    return {f["rule"]: f["severity"] for f in found}


def analyze(root: Path, *args: str) -> tuple[int, dict[str, str]]:
    result = run(
        "analyze", "--format", "json", "--migration-format", "flyway", *args, "db", cwd=root
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, findings(result.stdout)


# ---- a finding raised by a source (the migration format) ---------------------------------


def test_a_source_finding_is_high_and_fails_the_run_by_default(flyway):
    code, found = analyze(flyway)
    assert found["flyway-mixed-transaction"] == "high" and code == 1


def test_severity_on_the_command_line_lowers_a_source_finding(flyway):
    code, found = analyze(flyway, "--severity", "flyway-mixed-transaction=low")
    assert found["flyway-mixed-transaction"] == "low"
    assert code == 0


def test_disable_on_the_command_line_drops_a_source_finding(flyway):
    code, found = analyze(flyway, "--disable", "flyway-mixed-transaction")
    assert "flyway-mixed-transaction" not in found and code == 0


@pytest.mark.parametrize("file_name", ["pyproject.toml", "pgfence.toml"])
def test_severity_in_the_config_file_lowers_a_source_finding(flyway, file_name):
    table = "[tool.pgfence]\n" if file_name == "pyproject.toml" else ""
    (flyway / file_name).write_text(f'{table}severity = {{ flyway-mixed-transaction = "low" }}\n')
    code, found = analyze(flyway)
    assert found["flyway-mixed-transaction"] == "low" and code == 0


def test_a_per_path_override_changes_a_source_finding_of_matching_files_only(flyway):
    (flyway / "pgfence.toml").write_text(
        textwrap.dedent(
            """
            [[overrides]]
            paths = ["db/migration/V1__*.sql"]
            severity = { flyway-mixed-transaction = "medium" }
            """
        )
    )
    code, found = analyze(flyway)
    assert found["flyway-mixed-transaction"] == "medium" and code == 0
    (flyway / "pgfence.toml").write_text(
        '[[overrides]]\npaths = ["elsewhere/**"]\nseverity = { flyway-mixed-transaction = "low" }\n'
    )
    assert analyze(flyway)[1]["flyway-mixed-transaction"] == "high"


def test_a_psql_meta_command_note_takes_the_configured_severity(tmp_path):
    (tmp_path / "m.sql").write_text("\\set ON_ERROR_STOP on\nSELECT 1;\n")
    (tmp_path / "pgfence.toml").write_text('severity = { psql-meta-command = "high" }\n')
    result = run("analyze", "--format", "json", "m.sql", cwd=tmp_path)
    assert findings(result.stdout)["psql-meta-command"] == "high"
    assert result.returncode == 1


# ---- a rule finding (a hit with a severity of its own), and a policy finding -------------

ENABLE_TRIGGERS = (
    "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\n"
    "ALTER TABLE accounts ENABLE TRIGGER ALL;\n"
)


def test_a_rule_hit_with_its_own_severity_takes_the_configured_one(tmp_path):
    (tmp_path / "m.sql").write_text(ENABLE_TRIGGERS)
    plain = run("analyze", "--format", "json", "m.sql", cwd=tmp_path)
    assert findings(plain.stdout)["disable-trigger"] == "low" and plain.returncode == 0
    raised = run(
        "analyze", "--format", "json", "--severity", "disable-trigger=critical", "m.sql",
        cwd=tmp_path,
    )  # fmt: skip
    assert findings(raised.stdout)["disable-trigger"] == "critical" and raised.returncode == 1
    (tmp_path / "pgfence.toml").write_text('severity = { disable-trigger = "high" }\n')
    from_file = run("analyze", "--format", "json", "m.sql", cwd=tmp_path)
    assert findings(from_file.stdout)["disable-trigger"] == "high" and from_file.returncode == 1


def test_a_policy_finding_takes_the_severity_of_the_command_line_and_the_file(tmp_path):
    (tmp_path / "m.sql").write_text("ALTER TABLE accounts ADD COLUMN note text;\n")
    plain = run("analyze", "--format", "json", "m.sql", cwd=tmp_path)
    assert findings(plain.stdout)["missing-lock-timeout"] == "medium"
    raised = run(
        "analyze", "--format", "json", "--severity", "missing-lock-timeout=high", "m.sql",
        cwd=tmp_path,
    )  # fmt: skip
    assert findings(raised.stdout)["missing-lock-timeout"] == "high" and raised.returncode == 1
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pgfence]\nseverity = { missing-lock-timeout = "critical" }\n'
    )
    from_file = run("analyze", "--format", "json", "m.sql", cwd=tmp_path)
    assert findings(from_file.stdout)["missing-lock-timeout"] == "critical"


# ---- a dry-run finding -------------------------------------------------------------------

STATEMENT = Statement("ALTER TABLE accounts ADD COLUMN n int", Location("db/m.sql", 3, 1))
AE_ON_ACCOUNTS = LockOnRelation("public.accounts", LockMode.ACCESS_EXCLUSIVE)


def _judged(settings: RuleSettings, observation: Observation, verdict: Verdict | None = None):
    report = StatementReport(
        STATEMENT, Prediction(locks=(AE_ON_ACCOUNTS,)), (), observation, verdict
    )
    raised = dynamic_findings(report, StatementFacts(), settings)
    judged = [settings.judge(f) for f in raised]
    return {f.rule: f.severity for f in judged if f is not None}


def test_a_dry_run_finding_is_judged_like_the_others(tmp_path):
    waited = Observation(waited_for_lock=True)
    assert _judged(RuleSettings(), waited) == {"waited-for-lock": Severity.MEDIUM}
    lowered = RuleSettings(severity={"waited-for-lock": Severity.LOW})
    assert _judged(lowered, waited) == {"waited-for-lock": Severity.LOW}
    by_path = RuleSettings(
        overrides=(PathOverride(("db/**",), severity={"waited-for-lock": Severity.HIGH}),),
        root=tmp_path,
    )
    (tmp_path / "db").mkdir()
    moved = Statement(STATEMENT.sql, Location(str(tmp_path / "db" / "m.sql"), 3, 1))
    report = StatementReport(moved, Prediction(locks=(AE_ON_ACCOUNTS,)), (), waited)
    [raised] = dynamic_findings(report, StatementFacts(), by_path)
    assert by_path.judge(raised).severity is Severity.HIGH


def test_an_under_predicted_rewrite_is_a_finding_the_settings_judge():
    """The verdict's own finding is raised by the dry-run, not made up by the reports."""
    verdict = Verdict(
        VerdictKind.UNDER_PREDICTED,
        reasons=("rewrote public.accounts",),
        unpredicted_rewrites=("public.accounts",),
    )
    ran = Observation(ran=True)
    assert _judged(RuleSettings(), ran, verdict)["under-predicted-lock"] is Severity.HIGH
    lowered = RuleSettings(severity={"under-predicted-lock": Severity.MEDIUM})
    assert _judged(lowered, ran, verdict)["under-predicted-lock"] is Severity.MEDIUM


@pytest.mark.postgres
def test_a_dry_run_finding_takes_the_severity_of_the_command_line_and_the_file(tmp_path):
    (tmp_path / "schema.sql").write_text("CREATE TABLE a (id int);\n")
    (tmp_path / "m.sql").write_text("ALTER TABLE missing ADD COLUMN x int;\n")
    args = ("dryrun", "--schema", "schema.sql", "--format", "json", "m.sql")
    plain = run(*args, cwd=tmp_path)
    assert findings(plain.stdout)["statement-failed"] == "critical" and plain.returncode == 1
    lowered = run(*args, "--severity", "statement-failed=low", cwd=tmp_path)
    assert findings(lowered.stdout)["statement-failed"] == "low" and lowered.returncode == 0
    (tmp_path / "pgfence.toml").write_text(
        '[[overrides]]\npaths = ["m.sql"]\nseverity = { statement-failed = "medium" }\n'
    )
    by_path = run(*args, cwd=tmp_path)
    assert findings(by_path.stdout)["statement-failed"] == "medium" and by_path.returncode == 0
