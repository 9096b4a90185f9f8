"""GitHub Actions workflow commands: one annotation per finding, shown on the PR's diff.

`::error file=F,line=L,col=C,title=T::message`. Findings that fail the run (at or above
--fail-on, or an under-predicted lock) are errors, the others warnings, and `info`
findings notices. A dry-run on several versions adds a notice where versions differ.
"""

from __future__ import annotations

from pgfence.model import Finding, Location, MatrixReport, Report, Severity
from pgfence.reporting.common import fails, results
from pgfence.reporting.terminal import visible


def render(report: Report) -> str:
    return "".join(_finding(r.finding, report, None) + "\n" for r in results(report))


def render_matrix(matrix: MatrixReport) -> str:
    """Every version's annotations; one that several versions share is shown once."""
    seen: set[str] = set()
    out: list[str] = []
    for report in matrix.reports:
        label = f"PG {report.server.version}" if report.server else f"PG {report.pg_version}"
        for result in results(report):
            finding = result.finding
            key = f"{finding.rule}\0{finding.location}\0{finding.message}"
            if key not in seen:
                seen.add(key)
                out.append(_finding(finding, report, label) + "\n")
    for diff in matrix.differences:
        by_version = "; ".join(f"PG {major}: {visible(text)}" for major, text in diff.by_version)
        title = "pgfence: behaves differently across PostgreSQL versions"
        out.append(_command("notice", diff.location, title, by_version) + "\n")
    return "".join(out)


def _finding(finding: Finding, report: Report, version_label: str | None) -> str:
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
    return _command(command, finding.location, visible(title), message)


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
