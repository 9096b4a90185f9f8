"""The version matrix: where the same migration behaves differently across Postgres versions."""

from __future__ import annotations

import json
from typing import Any

from pgfence.model import Finding, MatrixReport
from pgfence.reporting import json as json_report
from pgfence.reporting import layout, table
from pgfence.reporting.json import summary
from pgfence.reporting.layout import Column, Shrink
from pgfence.reporting.terminal import fill, visible, visible_lines, wrap


def render_table(matrix: MatrixReport, *, width: int = 100) -> str:
    """The versions' differences and findings, no line wider than `width` (80 at least)."""
    width = max(width, 80)
    versions = [f"{r.server.version} ({r.server.backend})" for r in matrix.reports if r.server]
    head = f"pgfence dryrun · {len(matrix.reports)} versions: {', '.join(versions)}"
    parts = [*wrap(head, width, "", "  "), ""]
    if not matrix.differences:
        parts.append("Every statement behaves the same on every version.")
    else:
        parts.append(f"{len(matrix.differences)} statement(s) behave differently:")
        majors = [r.pg_version for r in matrix.reports]
        rows = []
        for diff in matrix.differences:
            by = dict(diff.by_version)
            rows.append(
                [
                    [visible(f"{diff.location.file.rsplit('/', 1)[-1]}:{diff.location.line}")],
                    [table.shorten_sql(diff.sql, 60)],
                    *([visible(by.get(m, "-"))] for m in majors),
                ]
            )
        columns = [
            Column("where"),
            Column("statement", max_lines=3),
            *(Column(f"PG {m}") for m in majors),
        ]
        # The statement gives way first, then every version's column alike.
        shrink = [Shrink(1, 24), *(Shrink(2 + n, 16) for n in range(len(majors)))]
        shrink += [Shrink(1, 12, True), *(Shrink(2 + n, 8, True) for n in range(len(majors)))]
        parts.append(layout.table(columns, rows, width, shrink))
    findings = _findings(matrix, width)
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
        parts.extend(
            fill(visible(hold.summary), width, "    ", "      ") for hold in report.lock_holds
        )
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
        mark = f"  (PG {', '.join(map(str, versions))} only)" if versions != majors else ""
        out.append(table.finding_text(f, width, mark))
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
