"""What several formats say the same way: the findings of a run, its verdict line."""

from __future__ import annotations

from dataclasses import dataclass

from pgfence.checks import Hit, raised
from pgfence.checks.dryrun import UnderPredictedLock
from pgfence.model import Finding, Location, Report, StatementReport, VerdictKind

# The id an under-predicted lock is reported under: the dry-run check of that name.
UNDER_PREDICTED = UnderPredictedLock.id


@dataclass(frozen=True)
class Result:
    """A finding, with the statement it is about (None for a finding about a file)."""

    finding: Finding
    statement: StatementReport | None


def results(report: Report) -> list[Result]:
    """Every finding of the run, in order, and one per under-predicted statement.

    An under-predicted lock fails the run like a critical finding, so formats that only
    show findings (SARIF, annotations, JUnit) must show it as one. The dry-run raises that
    finding itself; a verdict without one (the check silenced or switched off, or a report
    made by hand) is shown at the check's own severity.
    """
    out = [Result(f, None) for f in report.findings]
    for s in report.statements:
        out.extend(Result(f, s) for f in s.findings)
        if (
            s.verdict is not None
            and s.verdict.kind is VerdictKind.UNDER_PREDICTED
            and not any(f.rule == UNDER_PREDICTED for f in s.findings)
        ):
            out.append(Result(under_predicted_finding(s), s))
    return out


def under_predicted_finding(s: StatementReport) -> Finding:
    reasons = "; ".join(s.verdict.reasons) if s.verdict else ""
    message = f"the server took more than pgfence predicted: {reasons or 'a stronger lock'}"
    return raised(UnderPredictedLock, Hit(message), s.statement.location, dynamic=True)


def fails(finding: Finding, report: Report) -> bool:
    """Does this finding fail the run (exit 1)?"""
    return finding.rule == UNDER_PREDICTED or finding.severity >= report.fail_on


def status(report: Report) -> tuple[bool, str]:
    """(failed, why): 'findings at or above high; 1 under-predicted', or 'no finding at …'."""
    reasons = []
    failing = len(report.failing_findings)
    if failing:
        reasons.append(f"{failing} finding(s) at or above {report.fail_on}")
    under = len(report.under_predicted)
    if under:
        reasons.append(f"{under} statement(s) under-predicted")
    if reasons:
        return True, "; ".join(reasons)
    return False, f"no finding at or above {report.fail_on}"


def title(report: Report) -> str:
    command = f"pgfence {report.command}"
    if report.project is not None:
        command += f" · project {report.project}"
    if report.server is not None:
        return f"{command} · PostgreSQL {report.server.version} ({report.server.backend})"
    return f"{command} · prediction for PostgreSQL {report.pg_version}"


# ---- what a run assumed ----------------------------------------------------------------------

UNSEEDED = (
    "tables held only the starting schema's rows (none, unless it has data): times are of "
    "those sizes, not production's; --seed or --stats-from measures real ones"
)


@dataclass(frozen=True)
class Assumption:
    """Something a result rests on that pgfence did not know: said in every format, next
    to the result (`location`: the statement it is about; None: the whole run)."""

    text: str
    location: Location | None = None


def assumptions(report: Report) -> list[Assumption]:
    """What the run assumed: a dry-run on unseeded throwaway tables (its times are of
    them), and each prediction that assumed what it could not know (a column's type
    without --schema: a rewrite)."""
    out = []
    if report.server is not None and report.server.backend != "dsn" and report.seeding is None:
        out.append(Assumption(UNSEEDED))
    for s in report.statements:
        out.extend(
            Assumption(note, s.statement.location)
            for note in s.prediction.notes
            if "assumed" in note  # the notes that state an assumption say so (predict/)
        )
    return out
