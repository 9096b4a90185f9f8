"""The static stage: Migrations -> StatementReports (prediction + findings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pgfence import __version__
from pgfence.analysis import policy
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.predict import predict
from pgfence.analysis.rules import Rule, RuleContext, all_rules
from pgfence.model import (
    Finding,
    Migration,
    Prediction,
    Report,
    Severity,
    Statement,
    StatementReport,
)


@dataclass(frozen=True)
class RuleSettings:
    """Which rules run and how severe they are (from the command line and config)."""

    disabled: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)

    def active(self, rules: dict[str, Rule]) -> list[Rule]:
        return [rule for rule_id, rule in rules.items() if rule_id not in self.disabled]

    def severity_of(self, rule_id: str, default: Severity) -> Severity:
        return self.severity.get(rule_id, default)


def block_key(statement: Statement, index: int) -> object:
    """Statements sharing a key share a transaction (an autocommit one is alone)."""
    if statement.transaction.block is not None:
        return ("tx", statement.transaction.block)
    return ("stmt", statement.location.file, index)


def analyse_statement(
    statement: Statement,
    catalog: Catalog,
    version: int,
    block: object,
    rules: Sequence[Rule],
    settings: RuleSettings,
    earlier: tuple[Statement, ...] = (),
) -> tuple[Prediction, list[Finding]]:
    """Predict one statement and run the rules on it; the catalog is not changed."""
    prediction = predict(statement, catalog, version, block=block)
    findings: list[Finding] = []
    if statement.parse_error is not None:
        findings.append(
            Finding(
                "parse-error",
                settings.severity_of("parse-error", Severity.CRITICAL),
                f"does not parse: {statement.parse_error}",
                statement.location,
            )
        )
    elif not prediction.analysable and "unanalysable" not in settings.disabled:
        findings.append(
            Finding(
                "unanalysable",
                settings.severity_of("unanalysable", Severity.MEDIUM),
                "pgfence cannot tell what this statement locks: "
                + "; ".join(prediction.notes or ("unknown statement",)),
                statement.location,
            )
        )
    if statement.node is not None:
        ctx = RuleContext(statement, prediction, catalog, version, earlier)
        for rule in rules:
            if rule.id in statement.ignored_rules:
                continue
            for hit in rule.check(ctx):
                findings.append(
                    Finding(
                        rule.id,
                        hit.severity or settings.severity_of(rule.id, rule.severity),
                        hit.message,
                        statement.location,
                        hit.recipe,
                    )
                )
    findings = [f for f in findings if f.rule not in statement.ignored_rules]
    return prediction, findings


def analyse(
    migrations: Iterable[Migration],
    *,
    version: int,
    catalog: Catalog | None = None,
    settings: RuleSettings | None = None,
) -> tuple[list[StatementReport], list[Finding]]:
    """Predict and check every statement of every migration, in order."""
    settings = settings or RuleSettings()
    catalog = catalog if catalog is not None else Catalog()
    rules = settings.active(all_rules())
    reports: list[StatementReport] = []
    file_findings: list[Finding] = []
    index = 0
    open_tx: dict[object, list[Statement]] = {}
    for migration in migrations:
        file_findings.extend(f for f in migration.findings if f.rule not in settings.disabled)
        for statement in migration.statements:
            block = block_key(statement, index)
            earlier = tuple(open_tx.get(block, ()))
            prediction, findings = analyse_statement(
                statement, catalog, version, block, rules, settings, earlier
            )
            reports.append(StatementReport(statement, prediction, tuple(findings)))
            open_tx.setdefault(block, []).append(statement)
            if statement.node is not None:
                catalog.current_block = block
                catalog.apply(statement.node)
            index += 1
    policy_findings = policy.check(reports, settings.disabled)
    reports = _attach(reports, policy_findings)
    return reports, file_findings


def _attach(
    reports: list[StatementReport], extra: dict[int, list[Finding]]
) -> list[StatementReport]:
    if not extra:
        return reports
    out = []
    for i, report in enumerate(reports):
        more = [f for f in extra.get(i, []) if f.rule not in report.statement.ignored_rules]
        if more:
            report = StatementReport(
                report.statement,
                report.prediction,
                report.findings + tuple(more),
                report.observation,
                report.verdict,
            )
        out.append(report)
    return out


def build_report(
    migrations: Sequence[Migration],
    *,
    version: int,
    fail_on: Severity = Severity.HIGH,
    catalog: Catalog | None = None,
    settings: RuleSettings | None = None,
) -> Report:
    statements, findings = analyse(migrations, version=version, catalog=catalog, settings=settings)
    return Report(
        pgfence_version=__version__,
        pg_version=version,
        statements=tuple(statements),
        findings=tuple(findings),
        fail_on=fail_on,
        command="analyze",
    )
