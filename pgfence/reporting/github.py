"""GitHub Actions workflow commands: one annotation per finding, shown on the PR's diff.

`::error file=F,line=L,col=C,title=T::message`. Findings that fail the run (at or above
--fail-on, or an under-predicted lock) are errors, the others warnings, and `info`
findings notices. A dry-run on several versions adds a notice where versions differ.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops
the rest without a word: the most severe come first, and past the cap one notice says how
many more the job summary lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgfence.model import Finding, Location, MatrixReport, Report, Severity
from pgfence.reporting.common import UNDER_PREDICTED, fails, results
from pgfence.reporting.terminal import visible

# GitHub's limit per step and per kind of annotation (docs: "Annotations … are limited to 10
# per step"); what goes past it is not shown anywhere.
MAX_PER_KIND = 10
_KINDS = ("error", "warning", "notice")


@dataclass(frozen=True)
class Annotation:
    command: str  # error, warning or notice
    severity: Severity  # what orders it: the most severe is shown first
    text: str  # the whole workflow command line


def render(report: Report) -> str:
    return _capped([_finding(r.finding, report, None) for r in results(report)])


def render_matrix(matrix: MatrixReport) -> str:
    """Every version's annotations; one that several versions share is shown once."""
    seen: set[str] = set()
    out: list[Annotation] = []
    for report in matrix.reports:
        label = f"PG {report.server.version}" if report.server else f"PG {report.pg_version}"
        for result in results(report):
            finding = result.finding
            key = f"{finding.rule}\0{finding.location}\0{finding.message}"
            if key not in seen:
                seen.add(key)
                out.append(_finding(finding, report, label))
    for diff in matrix.differences:
        by_version = "; ".join(f"PG {major}: {visible(text)}" for major, text in diff.by_version)
        title = "pgfence: behaves differently across PostgreSQL versions"
        text = _command("notice", diff.location, title, by_version)
        out.append(Annotation("notice", Severity.INFO, text))
    return _capped(out)


def _capped(annotations: list[Annotation]) -> str:
    """The annotations GitHub will show, most severe first (in their own order among equals),
    at most MAX_PER_KIND of each kind, and a last notice counting the ones left out."""
    ordered = sorted(annotations, key=lambda a: (_KINDS.index(a.command), -a.severity))
    by_kind = {kind: [a for a in ordered if a.command == kind] for kind in _KINDS}
    shown = {kind: found[:MAX_PER_KIND] for kind, found in by_kind.items()}
    left_out = len(annotations) - sum(map(len, shown.values()))
    if left_out and len(shown["notice"]) == MAX_PER_KIND:
        shown["notice"].pop()  # its place goes to the count of what is left out
        left_out += 1
    lines = [a.text for kind in _KINDS for a in shown[kind]]
    if left_out:
        title = _property(f"pgfence: {left_out} more")
        message = (
            f"{left_out} more in the job summary: GitHub shows at most "
            f"{MAX_PER_KIND} annotations of each kind per step"
        )
        lines.append(f"::notice title={title}::{_data(message)}")
    return "".join(line + "\n" for line in lines)


def _finding(finding: Finding, report: Report, version_label: str | None) -> Annotation:
    if fails(finding, report):
        command = "error"
    elif finding.severity > Severity.INFO:
        command = "warning"
    else:
        command = "notice"
    title = f"pgfence {finding.rule} ({finding.severity})"
    if version_label:
        title += f" on {version_label}"
    message = visible(finding.message)
    if finding.recipe:
        steps = (visible(line) for step in finding.recipe for line in step.split("\n"))
        message += "\n\nSafe rewrite:\n" + "\n".join(steps)
    text = _command(command, finding.location, visible(title), message)
    # An under-predicted lock fails the run whatever severity its check was given: first.
    rank = Severity.CRITICAL if finding.rule == UNDER_PREDICTED else finding.severity
    return Annotation(command, rank, text)


def _command(command: str, where: Location, title: str, message: str) -> str:
    props = ",".join(
        f"{key}={_property(value)}"
        for key, value in (
            ("file", visible(where.file.removeprefix("./"))),
            ("line", str(where.line)),
            ("col", str(where.column)),
            ("title", title),
        )
    )
    return f"::{command} {props}::{_data(message)}"


def _data(text: str) -> str:
    # The escapes GitHub's runner undoes (toolkit/packages/core/src/command.ts). The
    # newlines left are pgfence's own (between a message and its rewrite): what the
    # migration wrote is `visible` by now, so no line of it can start a command.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
