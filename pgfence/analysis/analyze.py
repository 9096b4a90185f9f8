"""The static stage: Migrations -> StatementReports (prediction + findings)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pgfence.analysis import idioms, ignores, policies, policy
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.policy import StatementFacts
from pgfence.analysis.predict import predict
from pgfence.analysis.rule import (
    EMPTY,
    Rule,
    RuleContext,
    Statements,
    StatementWindow,
)
from pgfence.analysis.rules import all_rules
from pgfence.checks import Hit, RuleSettings, raised
from pgfence.checks.inputs import ParseError, Unanalysable
from pgfence.model import (
    Finding,
    Migration,
    Prediction,
    Report,
    Severity,
    Statement,
    StatementReport,
)
from pgfence.version import __version__


def block_key(statement: Statement, index: int) -> object:
    """Statements sharing a key share a transaction (an autocommit one is alone)."""
    if statement.transaction.block is not None:
        return ("tx", statement.transaction.block)
    return ("stmt", statement.location.file, index)


@dataclass(frozen=True)
class StatementAnalysis:
    prediction: Prediction
    # Every finding of the rules, ignored or not: ignore comments are applied at the end
    # of the run (analysis/ignores.py), when it is known which of them matched.
    findings: tuple[Finding, ...]
    facts: StatementFacts  # what the policies need, decided with the schema of its time


def analyse_statement(
    statement: Statement,
    catalog: Catalog,
    version: int,
    block: object,
    rules: Sequence[Rule],
    settings: RuleSettings,
    earlier: StatementWindow = EMPTY,
    following: StatementWindow = EMPTY,
) -> StatementAnalysis:
    """Predict one statement and run the rules on it; the catalog is not changed."""
    prediction = predict(statement, catalog, version, block=block)
    findings: list[Finding] = []
    if statement.parse_error is not None:
        findings.append(
            raised(ParseError, Hit(f"does not parse: {statement.parse_error}"), statement.location)
        )
    elif not prediction.analysable and settings.enabled(Unanalysable.id):
        why = "; ".join(prediction.notes or ("unknown statement",))
        hit = Hit(f"pgfence cannot tell what this statement locks: {why}")
        findings.append(raised(Unanalysable, hit, statement.location))
    if statement.node is not None:
        ctx = RuleContext(statement, prediction, catalog, version, earlier, following)
        for rule in rules:
            for hit in rule.check(ctx):
                findings.append(raised(rule, hit, statement.location))
    return StatementAnalysis(
        prediction, tuple(findings), policy.facts(statement, prediction, catalog)
    )


def analyse(
    migrations: Iterable[Migration],
    *,
    version: int,
    catalog: Catalog | None = None,
    settings: RuleSettings | None = None,
) -> tuple[list[StatementReport], list[Finding]]:
    """Predict and check every statement of every migration, in order."""
    migrations = list(migrations)
    settings = settings or RuleSettings()
    catalog = catalog if catalog is not None else Catalog()
    rules = settings.active(all_rules())
    reports: list[StatementReport] = []
    statement_facts: list[StatementFacts] = []
    index = 0
    open_tx: dict[object, Statements] = {}
    for migration in migrations:
        in_file = Statements(migration.statements)
        for position, statement in enumerate(migration.statements):
            block = block_key(statement, index)
            analysis = analyse_statement(
                statement,
                catalog,
                version,
                block,
                rules,
                settings,
                open_tx.setdefault(block, Statements()).window(),
                in_file.window(position + 1),
            )
            reports.append(StatementReport(statement, analysis.prediction, analysis.findings))
            statement_facts.append(analysis.facts)
            open_tx[block].append(statement)
            if statement.node is not None:
                catalog.current_block = block
                catalog.apply(statement.node)
            index += 1
    reports, more = finish(reports, statement_facts, migrations, settings)
    return reports, more


def finish(
    reports: Sequence[StatementReport],
    statement_facts: Sequence[StatementFacts],
    migrations: Iterable[Migration],
    settings: RuleSettings,
) -> tuple[list[StatementReport], list[Finding]]:
    """Add the policies' findings, then apply the ignore comments (static and dry-run).

    Returns the reports and the findings about the files themselves (theirs, and those
    about ignore comments that silence nothing).
    """
    migrations = list(migrations)
    with_policy = attach(reports, policies.check(reports, statement_facts, settings))
    judged, more = ignores.apply(with_policy, migrations, settings)
    return idioms.apply(judged, migrations), more


def attach(
    reports: Sequence[StatementReport], extra: dict[int, list[Finding]]
) -> list[StatementReport]:
    out = []
    for i, report in enumerate(reports):
        more = extra.get(i)
        if more:
            report = dataclasses.replace(report, findings=report.findings + tuple(more))
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
