"""JUnit XML, for CI test-report views (GitLab, Jenkins, Azure DevOps, test reporters).

One test suite per migration file and one test case per statement. A statement fails
for a finding at or above --fail-on, or an under-predicted lock; a statement a dry-run
did not run is skipped. Findings below --fail-on are listed in the case's output.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from pgfence.model import Finding, MatrixReport, Report, StatementReport
from pgfence.reporting.common import Result, assumptions, fails, results
from pgfence.reporting.table import shorten_sql

# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="pgfence")
    _suites(root, report, prefix="")
    return _finish(root)


def render_matrix(matrix: MatrixReport) -> str:
    root = ET.Element("testsuites", name="pgfence")
    for report in matrix.reports:
        version = report.server.version if report.server else str(report.pg_version)
        _suites(root, report, prefix=f"PostgreSQL {version}: ")
    return _finish(root)


def _finish(root: ET.Element) -> str:
    suites = list(root)
    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in suites)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suites(root: ET.Element, report: Report, prefix: str) -> None:
    by_result = results(report)
    files: dict[str, list[StatementReport]] = {}
    for s in report.statements:
        files.setdefault(s.statement.location.file, []).append(s)
    for r in by_result:
        if r.statement is None:
            files.setdefault(r.finding.location.file, [])
    for file, statements in files.items():
        suite = ET.SubElement(root, "testsuite", name=f"{prefix}{file}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="command", value=report.command)
        ET.SubElement(props, "property", name="pg_version", value=str(report.pg_version))
        ET.SubElement(props, "property", name="fail_on", value=str(report.fail_on))
        if report.server is not None:
            ET.SubElement(props, "property", name="server", value=report.server.version)
        for a in assumptions(report):
            if a.location is None or a.location.file == file:
                line = f"line {a.location.line}: " if a.location else ""
                ET.SubElement(props, "property", name="assumed", value=_clean(line + a.text))
        about_file = [
            r for r in by_result if r.statement is None and r.finding.location.file == file
        ]
        if about_file:
            _case(suite, report, file, "the file itself", 1, about_file, None)
        for s in statements:
            mine = [r for r in by_result if r.statement is s]
            where = s.statement.location
            name = f"line {where.line}: {shorten_sql(s.statement.sql, 80)}"
            _case(suite, report, file, name, where.line, mine, s)
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", "0")
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("time", f"{sum(float(c.get('time', '0')) for c in cases):.3f}")


def _case(
    suite: ET.Element,
    report: Report,
    file: str,
    name: str,
    line: int,
    found: Sequence[Result],
    s: StatementReport | None,
) -> None:
    o = s.observation if s is not None else None
    seconds = o.duration_ms / 1000 if o is not None else 0.0
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(file),
        name=_clean(name),
        file=_clean(file),
        line=str(line),
        time=f"{seconds:.3f}",
    )
    failing = [r.finding for r in found if fails(r.finding, report)]
    others = [r.finding for r in found if not fails(r.finding, report)]
    if failing:
        first = failing[0]
        failure = ET.SubElement(
            case,
            "failure",
            type=first.rule,
            message=_clean(f"{first.severity}: {first.message}"),
        )
        failure.text = _clean("\n\n".join(_describe(f) for f in failing))
    elif o is not None and not o.ran:
        ET.SubElement(case, "skipped", message=_clean(o.not_run_reason or "not run"))
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n\n".join(_describe(f) for f in others))


def _describe(finding: Finding) -> str:
    text = f"{finding.location}  {finding.severity}  {finding.rule}\n{finding.message}"
    if finding.recipe:
        text += "\nsafe rewrite:\n" + "\n".join(finding.recipe)
    return text


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)
