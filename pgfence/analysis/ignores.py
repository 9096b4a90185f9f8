"""The end of a run: every finding judged, and the ignore comments that silence nothing.

Applied once, at the end of a run, when every source, rule, policy and dry-run check has
had its say: only then is it known whether an ignore comment silenced anything. Each
finding, with the ignore comments in force where it was raised, passes through
`RuleSettings.judge` (the one place that keeps or drops a finding and gives its severity).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from pgfence.analysis.rules import rule_ids
from pgfence.checks import Hit, RuleSettings, raised, registered
from pgfence.checks.inputs import UnusedIgnore
from pgfence.model import Finding, Location, Migration, Statement, StatementReport
from pgfence.sources import checks as _format_checks  # noqa: F401  (registers them)
from pgfence.sources.sql import IGNORE_ALL

UNUSED = UnusedIgnore.id


def apply(
    reports: Sequence[StatementReport],
    migrations: Iterable[Migration],
    settings: RuleSettings,
) -> tuple[list[StatementReport], list[Finding]]:
    """Reports with their findings judged, and the findings about the files themselves.

    Those are the migrations' own (a skipped meta-command, a format's warning) and the
    ignore comments that silence nothing, judged like the rest.
    """
    migrations_list = list(migrations)
    file_ignores = {m.path: dict(m.ignored_in_file) for m in migrations_list}
    used_in_file: dict[str, set[str]] = {path: set() for path in file_ignores}
    out: list[StatementReport] = []
    for report in reports:
        statement = report.statement
        in_file = file_ignores.get(statement.location.file, {})
        fired = {f.rule for f in report.findings}
        everything = fired if IGNORE_ALL in statement.ignored_rules else set()
        used_in_file.setdefault(statement.location.file, set()).update(
            fired & set(in_file) - statement.ignored_rules - everything
        )
        silenced = statement.ignored_rules | set(in_file) | everything
        raised = report.findings + tuple(_unused_on_statement(statement, fired, settings))
        kept = tuple(
            judged
            for finding in raised
            if (judged := settings.judge(finding, ignored=silenced)) is not None
        )
        out.append(
            dataclasses.replace(report, findings=kept) if kept != report.findings else report
        )
    file_findings = []
    for migration in migrations_list:
        in_file = file_ignores.get(migration.path, {})
        for finding in migration.findings:
            if not settings.enabled(finding.rule):
                continue
            if finding.rule in in_file:
                used_in_file.setdefault(migration.path, set()).add(finding.rule)
            elif (judged := settings.judge(finding)) is not None:
                file_findings.append(judged)
    if settings.enabled(UNUSED):
        for path, ignores in file_ignores.items():
            for rule, line in ignores.items():
                if rule in used_in_file.get(path, set()) or rule == UNUSED:
                    continue
                if settings.enabled(rule) or rule not in _known():
                    location = Location(path, line, 1)
                    judged = settings.judge(_finding(rule, location, file_level=True))
                    if judged is not None:
                        file_findings.append(judged)
    return out, file_findings


def _unused_on_statement(
    statement: Statement, fired: set[str], settings: RuleSettings
) -> list[Finding]:
    if not settings.enabled(UNUSED):
        return []
    unused = [
        _finding(rule, statement.location, file_level=False)
        for rule in sorted(statement.ignored_rules - fired - {UNUSED, IGNORE_ALL})
        if settings.enabled(rule) or rule not in _known()
    ]
    if IGNORE_ALL in statement.ignored_rules and not fired - {UNUSED}:
        hit = Hit("`pgfence-ignore` names no check and none fires on this statement: remove it")
        unused.append(raised(UnusedIgnore, hit, statement.location))
    return unused


def _finding(rule: str, location: Location, *, file_level: bool) -> Finding:
    checks = _known()
    comment = f"pgfence-ignore{'-file' if file_level else ''}: {rule}"
    if rule in checks:
        where = "anywhere in this file" if file_level else "on this statement"
        message = f"`{comment}` silences nothing: {rule} does not fire {where}; remove it"
    else:
        message = f"`{comment}` names no check (`pgfence rules` lists them): it silences nothing"
    return raised(UnusedIgnore, Hit(message), location)


def _known() -> set[str]:
    """Every check of the run: its policies are registered before it ends, the dry-run's
    and the input's by the check plane, the formats' by the sources; the rules are named by
    their index (a run imports only those its statements can meet)."""
    return set(registered()) | rule_ids()
