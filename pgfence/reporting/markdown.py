"""A pull-request comment (or job summary) in GitHub-flavoured Markdown.

A verdict line, a table of the risky statements with their locks and what they block,
then each finding with its safe rewrite folded in `<details>`. Safe statements are
counted, not listed: the comment is about what needs a second look.
"""

from __future__ import annotations

import html

from pgfence.model import MatrixReport, Report, Severity, StatementReport, VerdictKind
from pgfence.reporting.common import Result, assumptions, fails, results, status, title
from pgfence.reporting.json import summary
from pgfence.reporting.table import lock_lines, shorten_sql
from pgfence.reporting.terminal import visible, visible_lines

MAX_ROWS = 50  # a PR comment is read by people; GitHub also caps a comment at 65536 chars

_SEVERITY_MARK = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🔴",
    Severity.MEDIUM: "🟠",
    Severity.LOW: "🟡",
    Severity.INFO: "⚪",
}


def render(report: Report, *, heading: str = "###") -> str:
    parts = [_verdict(report, heading), _table(report), _findings(report), _assumed(report)]
    # A job summary is also read in the log, and a comment's source on a terminal.
    return visible_lines("\n\n".join(p for p in parts if p) + "\n")


def render_matrix(matrix: MatrixReport) -> str:
    versions = ", ".join(
        f"{r.server.version}" if r.server else str(r.pg_version) for r in matrix.reports
    )
    failed = matrix.failed
    head = (
        f"### pgfence dryrun · PostgreSQL {versions} — {'❌ **FAILED**' if failed else '✅ passed'}"
    )
    parts = [head]
    if matrix.differences:
        majors = [r.pg_version for r in matrix.reports]
        rows = [
            "| where | statement | " + " | ".join(f"PG {m}" for m in majors) + " |",
            "|---|---|" + "---|" * len(majors),
        ]
        for diff in matrix.differences:
            by = dict(diff.by_version)
            cells = [
                _cell(f"{diff.location.file}:{diff.location.line}"),
                _code(shorten_sql(diff.sql, 80)),
                *(_cell(by.get(m, "-")) for m in majors),
            ]
            rows.append("| " + " | ".join(cells) + " |")
        parts.append(
            f"{len(matrix.differences)} statement(s) behave differently:\n\n" + "\n".join(rows)
        )
    else:
        parts.append("Every statement behaves the same on every version.")
    for report in matrix.reports:
        label = report.server.version if report.server else str(report.pg_version)
        failed_here, why = status(report)
        body = render(report, heading="####")
        parts.append(
            f"<details><summary>PostgreSQL {label}: "
            f"{'FAILED' if failed_here else 'passed'} ({html.escape(why)})</summary>\n\n"
            f"{body}\n</details>"
        )
    return visible_lines("\n\n".join(parts) + "\n")


def _verdict(report: Report, heading: str) -> str:
    failed, why = status(report)
    mark = "❌ **FAILED**" if failed else "✅ passed"
    s = summary(report)
    facts = [
        f"{s['statements']} statement(s) in {s['files']} file(s)",
        f"{s['blocking_reads']} block reads",
        f"{s['blocking_writes']} block writes",
        f"{s['rewrites']} rewrite",
    ]
    if "verdicts" in s:
        facts.append(", ".join(f"{n} {kind}" for kind, n in sorted(s["verdicts"].items())))
    return f"{heading} {title(report)} — {mark}\n\n{why} · {' · '.join(facts)}"


def risky(s: StatementReport) -> bool:
    """Worth a reviewer's look: a finding above info, a lock that blocks, or a surprise."""
    if s.risk is not None and s.risk > Severity.INFO:
        return True
    if s.verdict is not None and s.verdict.kind is VerdictKind.UNDER_PREDICTED:
        return True
    o = s.observation
    if o is not None and o.ran:
        return bool(o.blocks_reads or o.blocks_writes)
    return s.prediction.blocks_reads or s.prediction.blocks_writes


def _table(report: Report) -> str:
    rows = [s for s in report.statements if risky(s)]
    if not rows:
        return "No statement blocks reads or writes."
    dynamic = any(s.observation is not None for s in report.statements)
    header = "| where | statement | locks | blocks | risk |" + (" verdict |" if dynamic else "")
    lines = [header, "|---|---|---|---|---|" + ("---|" if dynamic else "")]
    for s in rows[:MAX_ROWS]:
        locks, blocks = _locks_and_blocks(s)
        where = f"{s.statement.location.file}:{s.statement.location.line}"
        cells = [
            _cell(where),
            _code(shorten_sql(s.statement.sql, 90)),
            _cell("\n".join(locks)),
            blocks,
            str(s.risk) if s.risk is not None and s.risk > Severity.INFO else "-",
        ]
        if dynamic:
            verdict = s.verdict.kind.value if s.verdict else "-"
            cells.append(f"**{verdict}**" if verdict == "under-predicted" else verdict)
        lines.append("| " + " | ".join(cells) + " |")
    more = len(rows) - MAX_ROWS
    tail = f"\n\n…and {more} more risky statement(s): see the full report." if more > 0 else ""
    return (
        f"{len(rows)} of {len(report.statements)} statement(s) need a look:\n\n"
        + "\n".join(lines)
        + tail
    )


def _locks_and_blocks(s: StatementReport) -> tuple[list[str], str]:
    o = s.observation
    if o is not None and o.ran and o.error is None:
        acquired = [lock for lock in o.locks if lock.acquired]
        return lock_lines(acquired) if acquired else ["-"], _blocks(o.blocks_reads, o.blocks_writes)
    if o is not None and o.error is not None:
        return [f"ERROR {o.error.sqlstate or ''}"], "-"
    p = s.prediction
    locks = lock_lines(p.locks) if p.analysable else ["unknown"]
    return locks, _blocks(p.blocks_reads, p.blocks_writes)


def _blocks(reads: bool | None, writes: bool | None) -> str:
    if reads:
        return "**reads+writes**"
    if writes:
        return "**writes**"
    return "?" if reads is None and writes is None else "-"


def _assumed(report: Report) -> str:
    items = [
        f"- {_code(f'{a.location.file}:{a.location.line}')}: {_cell(a.text)}"
        if a.location
        else f"- {_cell(a.text)}"
        for a in assumptions(report)
    ]
    return "**Assumed**\n\n" + "\n".join(items) if items else ""


def _findings(report: Report) -> str:
    found = sorted(
        (r for r in results(report) if r.finding.severity > Severity.INFO),
        key=lambda r: (-r.finding.severity, r.finding.location),
    )
    if not found:
        return ""
    blocks = [_finding(r, report) for r in found[:MAX_ROWS]]
    more = len(found) - MAX_ROWS
    if more > 0:
        blocks.append(f"…and {more} more finding(s).")
    return "**Findings**\n\n" + "\n\n".join(blocks)


def _finding(r: Result, report: Report) -> str:
    f = r.finding
    mark = _SEVERITY_MARK[f.severity]
    failing = " (fails the run)" if fails(f, report) else ""
    summary_line = (
        f"{mark} <b>{f.severity}</b>{failing} · <code>{html.escape(f.rule)}</code> · "
        f"{html.escape(visible(str(f.location)))}"
    )
    body = [html.escape(visible(f.message))]
    if f.recipe:
        lines = (visible(line) for step in f.recipe for line in step.split("\n"))
        recipe = "\n".join(lines).replace("```", "` ` `")
        body.append(f"Safe rewrite:\n\n```sql\n{recipe}\n```")
    return f"<details><summary>{summary_line}</summary>\n\n" + "\n\n".join(body) + "\n</details>"


def _cell(text: str) -> str:
    """A table cell: one line per line of `text`, each shown `visible`."""
    lines = (visible(line) for line in text.split("\n"))
    return html.escape("\n".join(lines)).replace("|", "&#124;").replace("\n", "<br>")


def _code(sql: str) -> str:
    return "<code>" + _cell(sql) + "</code>"
