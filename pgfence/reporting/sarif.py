"""SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps).

Every result has its file, start line and start column (the statement's first token),
so code scanning places it on the right line of the diff. Each rule that fired is
described in `tool.driver.rules` with its summary, its documentation (What it does /
Why is this bad? / Example / Use instead) as help, and its default level; the safe
rewrite for this statement, in its own names, is in the result's message.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from pgfence.checks import registered
from pgfence.model import Finding, Location, MatrixReport, Report, Severity
from pgfence.reporting.common import assumptions, results

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def render(report: Report, *, pretty: bool = True) -> str:
    return _dump({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(report)]}, pretty)


def render_matrix(matrix: MatrixReport, *, pretty: bool = True) -> str:
    """One run per Postgres version, each in its own code-scanning category."""
    runs = [run(report, category=f"pgfence/pg{report.pg_version}/") for report in matrix.reports]
    return _dump({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}, pretty)


def _dump(log: dict[str, Any], pretty: bool) -> str:
    return json.dumps(log, indent=2 if pretty else None, ensure_ascii=False) + "\n"


def run(report: Report, *, category: str | None = None) -> dict[str, Any]:
    found = [(r.finding, r.statement.statement.sql if r.statement else "") for r in results(report)]
    rule_ids = list(dict.fromkeys(f.rule for f, _ in found))
    out: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pgfence",
                "version": report.pgfence_version,
                "semanticVersion": report.pgfence_version,
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(report)],
        "results": [_result(f, sql, rule_ids.index(f.rule)) for f, sql in found],
        "properties": _run_properties(report),
    }
    if category is not None:
        out["automationDetails"] = {"id": category}
    return out


def _invocation(report: Report) -> dict[str, Any]:
    """The run, with what it assumed as notes (SARIF's place for what a tool says about
    its own run rather than about the code)."""
    out: dict[str, Any] = {"executionSuccessful": True}
    notes = []
    for a in assumptions(report):
        note: dict[str, Any] = {"level": "note", "message": {"text": a.text}}
        if a.location is not None:
            note["locations"] = [{"physicalLocation": _physical(a.location)}]
        notes.append(note)
    if notes:
        out["toolExecutionNotifications"] = notes
    return out


def _run_properties(report: Report) -> dict[str, Any]:
    props: dict[str, Any] = {
        "command": report.command,
        "pgVersion": report.pg_version,
        "failOn": str(report.fail_on),
        "failed": report.failed,
    }
    if report.server is not None:
        props["server"] = {
            "version": report.server.version,
            "backend": report.server.backend,
        }
    return props


def _rule(rule_id: str) -> dict[str, Any]:
    check = registered().get(rule_id)
    # Every id a finding carries is registered; a bare entry keeps SARIF valid if not.
    summary = check.summary if check else rule_id
    doc = check.doc() if check else ""
    severity = check.severity if check else Severity.MEDIUM
    help_markdown = doc or summary
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _first_paragraph(doc) or summary},
        "help": {"text": _plain(help_markdown), "markdown": help_markdown},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"tags": ["postgres", "locks", "migrations"], "severity": str(severity)},
    }


def _result(finding: Finding, sql: str, rule_index: int) -> dict[str, Any]:
    text = finding.message
    if finding.recipe:
        text += "\n\nSafe rewrite:\n" + "\n".join(finding.recipe)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical(finding.location)}],
        "partialFingerprints": {"pgfenceStatement/v1": _fingerprint(finding, sql)},
        "properties": {
            "severity": str(finding.severity),
            "dynamic": finding.dynamic,
            "recipe": list(finding.recipe),
        },
    }
    return result


def _physical(location: Location) -> dict[str, Any]:
    path = location.file.replace("\\", "/")
    artifact: dict[str, Any]
    if path.startswith("/"):
        artifact = {"uri": "file://" + quote(path)}
    else:
        artifact = {"uri": quote(path.removeprefix("./")), "uriBaseId": "%SRCROOT%"}
    return {
        "artifactLocation": artifact,
        "region": {"startLine": max(1, location.line), "startColumn": max(1, location.column)},
    }


def _fingerprint(finding: Finding, sql: str) -> str:
    """Stable when the statement moves to another line, changes when its text changes."""
    normal = re.sub(r"\s+", " ", sql).strip().lower()
    key = f"{finding.rule}\0{finding.location.file}\0{normal or finding.message}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _first_paragraph(markdown: str) -> str:
    """The text under "What it does" (or the first paragraph of the docstring)."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.strip().lower() == "## what it does":
            lines = lines[i + 1 :]
            break
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        if line.startswith("#"):
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _plain(markdown: str) -> str:
    text = re.sub(r"^#+\s*", "", markdown, flags=re.MULTILINE)
    return text.replace("```sql\n", "").replace("```\n", "").replace("```", "")
