"""The version matrix: where the same migration behaves differently across Postgres versions."""

from __future__ import annotations

import json
from typing import Any

from tabulate import tabulate

from pgfence.model import Finding, MatrixReport
from pgfence.reporting import json as json_report
from pgfence.reporting import table
from pgfence.reporting.json import summary
from pgfence.reporting.terminal import visible, visible_lines, wrap


def render_table(matrix: MatrixReport, *, width: int = 100) -> str:
    versions = [f"{r.server.version} ({r.server.backend})" for r in matrix.reports if r.server]
    parts = [f"pgfence dryrun · {len(matrix.reports)} versions: {', '.join(versions)}", ""]
    if not matrix.differences:
        parts.append("Every statement behaves the same on every version.")
    else:
        parts.append(f"{len(matrix.differences)} statement(s) behave differently:")
        majors = [r.pg_version for r in matrix.reports]
        cell = max(16, (width - 34) // max(1, len(majors)))
        rows = []
        for diff in matrix.differences:
            by = dict(diff.by_version)
            rows.append(
                [
                    visible(f"{diff.location.file.rsplit('/', 1)[-1]}:{diff.location.line}"),
                    "\n".join(wrap(table.shorten_sql(diff.sql, 60), 24)),
                ]
                + ["\n".join(wrap(visible(by.get(m, "-")), cell)) for m in majors]
            )
        parts.append(
            tabulate(
                rows,
                headers=["where", "statement", *[f"PG {m}" for m in majors]],
                tablefmt="simple",
                disable_numparse=True,
            )
        )
    findings = _findings(matrix)
    if findings:
        parts.append("\nFindings")
        parts.extend(findings)
    parts.append("")
    for report in matrix.reports:
        s = summary(report)
        verdicts = ", ".join(f"{n} {k}" for k, n in sorted(s.get("verdicts", {}).items()))
        assert report.server is not None
        parts.append(
            f"PG {report.server.version}: {verdicts or 'nothing run'} → {table.outcome(report)}"
        )
        # A seeded run: how long each version kept reads or writes blocked.
        parts.extend(f"    {hold.summary}" for hold in report.lock_holds)
    seeded = any(r.seeding is not None for r in matrix.reports)
    parts.append(
        "Per-version detail (with each statement's duration estimate): --format json."
        if seeded
        else "Per-version detail: --format json."
    )
    return visible_lines("\n".join(parts) + "\n")


def _findings(matrix: MatrixReport, width: int = 100) -> list[str]:
    """Every version's findings once, each marked with its versions if not all have it."""
    majors = [r.pg_version for r in matrix.reports]
    seen: dict[tuple[object, ...], tuple[Finding, list[int]]] = {}
    for report in matrix.reports:
        for f in report.all_findings():
            key = (f.location, f.rule, f.message, f.recipe)
            seen.setdefault(key, (f, []))[1].append(report.pg_version)
    out = []
    for f, versions in sorted(seen.values(), key=lambda fv: (fv[0].location, -fv[0].severity)):
        text = table.finding_text(f, width)
        if versions != majors:
            head, _, rest = text.partition("\n")
            text = f"{head}  (PG {', '.join(map(str, versions))} only)\n{rest}"
        out.append(text)
    return out


def to_dict(matrix: MatrixReport) -> dict[str, Any]:
    return {
        "versions": [json_report.to_dict(r) for r in matrix.reports],
        "differences": [
            {
                "file": d.location.file,
                "line": d.location.line,
                "column": d.location.column,
                "sql": d.sql,
                "by_version": {str(major): text for major, text in d.by_version},
            }
            for d in matrix.differences
        ],
        "failed": matrix.failed,
    }


def render_json(matrix: MatrixReport, *, pretty: bool = False) -> str:
    return json.dumps(to_dict(matrix), indent=2 if pretty else None, ensure_ascii=False) + "\n"
