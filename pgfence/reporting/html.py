"""One self-contained HTML page: the lock timeline, the statements, the findings.

Nothing is fetched when the page is viewed: the styles are inline, the timeline is an
inline SVG drawn here, there is no script and no font or image from elsewhere. It opens
from a CI artifact, an e-mail attachment or a file on disk alike.

The timeline (see timeline.py) has one column per statement, as wide as its run time
allows (never narrower than a label), and one lane per relation. A bar is a lock, from
the statement that took it to the end of its transaction, coloured by lock mode;
hatching marks a lock that blocks reads and writes, dots one that blocks writes. Under
the lanes, two rows show where a reader or a writer was really blocked (measured by
the dry-run), and each column's top band is its verdict.
"""

from __future__ import annotations

import html
import re

from pgfence.model import (
    PGFENCE_WAIT_NOTE,
    MatrixReport,
    Report,
    Severity,
    StatementReport,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from pgfence.reporting import timeline as tl
from pgfence.reporting.common import Result, assumptions, fails, results, status, title
from pgfence.reporting.json import summary
from pgfence.reporting.table import lock_lines, short_name, shorten_sql

MODE_COLORS = {
    LockMode.ACCESS_SHARE: "#9ecae1",
    LockMode.ROW_SHARE: "#6baed6",
    LockMode.ROW_EXCLUSIVE: "#74c476",
    LockMode.SHARE_UPDATE_EXCLUSIVE: "#e6c229",
    LockMode.SHARE: "#fd8d3c",
    LockMode.SHARE_ROW_EXCLUSIVE: "#f16913",
    LockMode.EXCLUSIVE: "#d7301f",
    LockMode.ACCESS_EXCLUSIVE: "#7f0000",
}
VERDICT_COLORS = {
    VerdictKind.CONFIRMED: "#2e7d32",
    VerdictKind.OVER_PREDICTED: "#1565c0",
    VerdictKind.UNDER_PREDICTED: "#c62828",
    VerdictKind.NOT_RUN: "#9e9e9e",
}
_STATIC_COLOR = "#607d8b"
# Reads or writes measured blocked: not the red of an under-predicted verdict.
BLOCKED_COLOR = "#6a1b9a"

# Timeline geometry, in SVG pixels.
LABEL_W = 190
MIN_COL = 64
PLOT_W = 960
HEAD_H = 58  # the verdict band, line and time, and the file a statement starts
LANE_H = 26
BAR_H = 18


def render(report: Report) -> str:
    body = _report_section(report, heading=True)
    return _page(title(report), body, report.pgfence_version)


def render_matrix(matrix: MatrixReport) -> str:
    versions = ", ".join(
        r.server.version if r.server else str(r.pg_version) for r in matrix.reports
    )
    parts = [
        f"<h1>pgfence dryrun · PostgreSQL {_e(versions)}</h1>",
        _banner(matrix.failed, "on at least one version" if matrix.failed else "on every version"),
        _differences(matrix),
    ]
    for report in matrix.reports:
        parts.append(f'<section class="version">{_report_section(report, heading=False)}</section>')
    version = matrix.reports[0].pgfence_version if matrix.reports else ""
    return _page(f"pgfence dryrun · PostgreSQL {versions}", "\n".join(parts), version)


# ---- page ------------------------------------------------------------------------------


_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 24px auto; max-width: 1280px; padding: 0 16px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 28px 0 8px; }
code, pre, .sql { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: 8px 10px; border-radius: 6px; overflow-x: auto;
      white-space: pre-wrap; }
.banner { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 8px 0 4px; }
.banner.failed { background: #ffebe9; color: #82071e; border: 1px solid #ff8182; }
.banner.passed { background: #dafbe1; color: #116329; border: 1px solid #4ac26b; }
.facts { color: #57606a; margin: 4px 0 12px; }
.timeline-wrap { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px;
                 padding: 8px; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
svg .lane-label { font-size: 12px; }
svg .bar-label { fill: #fff; font-size: 10.5px; font-weight: 600; }
svg .axis { fill: #57606a; font-size: 10px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 8px 0; color: #57606a;
          font-size: 12px; }
.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px;
          vertical-align: -1px; margin-right: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: 5px 6px; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
/* The statements table fits the window: long names break at <wbr>, short words never. */
td.where, td.locks { overflow-wrap: anywhere; }
.risk { white-space: nowrap; }
td.sql { max-width: 460px; white-space: pre-wrap; word-break: break-word; }
td.locks { white-space: pre-line; } td.time { white-space: nowrap; }
.verdict { font-weight: 600; }
.verdict.under-predicted, .risk.critical, .risk.high { color: #c62828; }
.verdict.confirmed { color: #2e7d32; } .verdict.over-predicted { color: #1565c0; }
.verdict.not-run { color: #6e7781; } .risk.medium { color: #9a6700; }
.finding { border-left: 4px solid #d0d7de; padding: 2px 12px; margin: 12px 0; }
.finding.failing { border-color: #c62828; }
.finding .head { font-weight: 600; }
.muted { color: #6e7781; }
footer { margin-top: 32px; color: #6e7781; font-size: 12px; }
"""


def _page(page_title: str, body: str, version: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Nothing is loaded from anywhere: forbid it, so a viewer can trust that.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{_e(page_title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n"
        f"<footer>Made by pgfence {_e(version)}. This page is self-contained: it loads "
        "nothing from the network.</footer>\n</body>\n</html>\n"
    )


def _banner(failed: bool, why: str) -> str:
    cls, word = ("failed", "FAILED") if failed else ("passed", "Passed")
    return f'<div class="banner {cls}" id="verdict">{word} — {_e(why)}</div>'


def _report_section(report: Report, *, heading: bool) -> str:
    failed, why = status(report)
    tag = "h1" if heading else "h2"
    parts = [f"<{tag}>{_e(title(report))}</{tag}>", _banner(failed, why), _facts(report)]
    timeline = tl.build(report)
    if timeline.slots:
        parts.append("<h2>Lock timeline</h2>" if heading else "<h3>Lock timeline</h3>")
        parts.append(_timeline_svg(timeline, anchor=_anchor_prefix(report)))
        parts.append(_legend(timeline))
    parts.append(_statements(report))
    parts.append(_findings(report))
    parts.append(_assumed(report))
    return "\n".join(parts)


def _assumed(report: Report) -> str:
    items = [
        f"<li><code>{_e(f'{a.location.file}:{a.location.line}')}</code>: {_e(a.text)}</li>"
        if a.location
        else f"<li>{_e(a.text)}</li>"
        for a in assumptions(report)
    ]
    return '<h3>Assumed</h3>\n<ul class="assumed">' + "".join(items) + "</ul>" if items else ""


def _anchor_prefix(report: Report) -> str:
    return f"pg{report.pg_version}-" if report.server is not None else ""


def _facts(report: Report) -> str:
    s = summary(report)
    facts = [
        f"{s['statements']} statement(s) in {s['files']} file(s)",
        f"{s['blocking_reads']} predicted to block reads",
        f"{s['blocking_writes']} to block writes",
        f"{s['rewrites']} rewrite",
    ]
    if "verdicts" in s:
        verdicts = ", ".join(f"{n} {kind}" for kind, n in sorted(s["verdicts"].items()))
        facts.append(f"predicted vs observed: {verdicts}")
    return f'<p class="facts">{_e(" · ".join(facts))}</p>'


# ---- the timeline ----------------------------------------------------------------------


def column_widths(timeline: tl.Timeline) -> list[float]:
    """Each statement at least MIN_COL wide; the rest of PLOT_W shared by run time."""
    n = len(timeline.slots)
    if not timeline.observed or timeline.total_ms <= 0:
        return [max(MIN_COL, PLOT_W / max(n, 1))] * n if n <= PLOT_W // MIN_COL else [MIN_COL] * n
    spare = max(0.0, PLOT_W - n * MIN_COL)
    return [MIN_COL + spare * slot.duration_ms / timeline.total_ms for slot in timeline.slots]


def _timeline_svg(timeline: tl.Timeline, anchor: str) -> str:
    widths = column_widths(timeline)
    xs = [float(LABEL_W)]
    for w in widths:
        xs.append(xs[-1] + w)
    lanes = list(timeline.lanes) or []
    rows_y = HEAD_H + LANE_H * len(lanes)
    height = rows_y + 2 * LANE_H + 30
    width = xs[-1] + 48  # room for the last time label
    out = [
        f'<div class="timeline-wrap"><svg xmlns="http://www.w3.org/2000/svg" '
        f'class="timeline" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" role="img" '
        f'aria-label="Lock timeline: {len(timeline.slots)} statements, {len(lanes)} relations" '
        f'data-observed="{str(timeline.observed).lower()}">',
        _patterns(),
    ]
    out.extend(_columns(timeline, xs, widths, height, anchor))
    for n, lane in enumerate(lanes):
        y = HEAD_H + n * LANE_H
        fill = "#f6f8fa" if n % 2 == 0 else "#ffffff"
        out.append(
            f'<g class="lane" data-relation="{_e(lane)}">'
            f'<rect x="0" y="{y}" width="{width:.0f}" height="{LANE_H}" fill="{fill}"/>'
            f'<text class="lane-label" x="6" y="{y + 17}">{_e(_fit(short_name(lane), 27))}'
            f"<title>{_e(lane)}</title></text></g>"
        )
    for bar in timeline.bars:
        out.append(_bar(bar, lanes.index(bar.lane), xs, widths, timeline))
    out.extend(_blocked_rows(timeline, xs, widths, rows_y))
    out.extend(_axis(timeline, xs, rows_y + 2 * LANE_H))
    if not lanes:
        out.append(
            f'<text x="{LABEL_W + 8}" y="{HEAD_H + 16}" class="muted">no lock on any '
            "existing relation</text>"
        )
    out.append("</svg></div>")
    return "\n".join(out)


def _patterns() -> str:
    return (
        "<defs>"
        '<pattern id="blocks-reads" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2.5" height="6" fill="#ffffff" '
        'fill-opacity="0.55"/></pattern>'
        '<pattern id="blocks-writes" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.2" fill="#ffffff" fill-opacity="0.7"/></pattern>'
        "</defs>"
    )


def _columns(
    timeline: tl.Timeline, xs: list[float], widths: list[float], height: int, anchor: str
) -> list[str]:
    out = _file_boundaries(timeline, xs, height)
    for slot, x, w in zip(timeline.slots, xs, widths, strict=False):
        color = VERDICT_COLORS[slot.verdict] if slot.verdict else _STATIC_COLOR
        label = f"L{slot.line}"
        detail = _duration(slot.duration_ms) if timeline.observed else f"#{slot.index + 1}"
        if timeline.observed and not slot.ran:
            detail = "not run"
        tip = f"{slot.file}:{slot.line}  {shorten_sql(slot.sql, 160)}"
        if slot.verdict:
            tip += f"\nverdict: {slot.verdict.value}"
        if slot.error:
            tip += f"\n{slot.error}"
        out.append(
            f'<g class="statement" data-index="{slot.index + 1}" data-line="{slot.line}" '
            f'data-verdict="{slot.verdict.value if slot.verdict else ""}">'
            f'<a href="#{anchor}stmt-{slot.index + 1}">'
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="6" fill="{color}"/>'
            f'<text x="{x + 4:.1f}" y="20">{_e(label)}</text>'
            f'<text class="axis" x="{x + 4:.1f}" y="34">{_e(detail)}</text>'
            f"<title>{_e(tip)}</title></a>"
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 22}" stroke="#d0d7de"/>'
            "</g>"
        )
    return out


def _file_boundaries(timeline: tl.Timeline, xs: list[float], height: int) -> list[str]:
    """Where each migration file starts: a dark line and the file's name, as long as its
    statements leave room for (the full path on hover)."""
    starts = [
        i
        for i, slot in enumerate(timeline.slots)
        if i == 0 or slot.file != timeline.slots[i - 1].file
    ]
    if len(starts) < 2:
        return []
    out = []
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(timeline.slots)
        x, room = xs[i], xs[end] - xs[i]
        name = timeline.slots[i].file.replace("\\", "/").rsplit("/", 1)[-1]
        out.append(
            f'<g class="file-boundary" data-file="{_e(timeline.slots[i].file)}">'
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 22}" stroke="#57606a" '
            f'stroke-width="2"/><text class="axis" x="{x + 4:.1f}" y="{HEAD_H - 8}">'
            f"{_e(_fit(name, max(1, int((room - 8) // 6))))}"
            f"<title>{_e(timeline.slots[i].file)}</title></text></g>"
        )
    return out


def _bar(bar: tl.Bar, lane: int, xs: list[float], widths: list[float], t: tl.Timeline) -> str:
    x = xs[bar.first_slot] + 2
    w = xs[bar.last_slot] + widths[bar.last_slot] - xs[bar.first_slot] - 4
    y = HEAD_H + lane * LANE_H + (LANE_H - BAR_H) / 2
    color = MODE_COLORS[bar.mode]
    extra = ' fill-opacity="0.35" stroke-dasharray="3 2"' if bar.new else ""
    if not bar.granted:
        extra += ' stroke-dasharray="2 2"'
    parts = [
        f'<g class="bar" data-relation="{_e(bar.relation)}" data-mode="{bar.mode.pg_name}" '
        f'data-blocks="{bar.blocks}" data-new="{str(bar.new).lower()}" '
        f'data-statement="{bar.first_slot + 1}">',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 2):.1f}" height="{BAR_H}" rx="3" '
        f'fill="{color}" stroke="{color}"{extra}/>',
    ]
    if bar.blocks_reads or bar.blocks_writes:
        pattern = "blocks-reads" if bar.blocks_reads else "blocks-writes"
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 2):.1f}" height="{BAR_H}" rx="3" '
            f'fill="url(#{pattern})"/>'
        )
    name = bar.mode.pg_name.removesuffix("Lock")
    if w > 7 * len(name):
        parts.append(f'<text class="bar-label" x="{x + 5:.1f}" y="{y + 13:.1f}">{name}</text>')
    start = t.slots[bar.first_slot]
    tip = (
        f"{bar.relation}: {bar.mode.pg_name}"
        + (f" (+{bar.folded} index/toast)" if bar.folded else "")
        + f", taken by line {start.line}"
    )
    if bar.held_ms is not None:
        tip += f", held {_duration(bar.held_ms)} until its transaction ended"
    if bar.new:
        tip += "; created by this transaction: blocks nobody"
    else:
        tip += "; blocks " + {"reads+writes": "reads and writes", "writes": "writes"}.get(
            bar.blocks, "neither reads nor writes"
        )
    if not bar.granted:
        tip += "; waited for it"
    parts.append(f"<title>{_e(tip)}</title></g>")
    return "".join(parts)


def _blocked_rows(
    timeline: tl.Timeline, xs: list[float], widths: list[float], y0: int
) -> list[str]:
    how = "blocked (measured)" if timeline.observed else "would block (predicted)"
    out = []
    for n, (what, attr) in enumerate((("reads", "blocks_reads"), ("writes", "blocks_writes"))):
        y = y0 + n * LANE_H
        out.append(
            f'<g class="blocked-row" data-what="{what}">'
            f'<text class="lane-label" x="6" y="{y + 17}">{what} {how}</text>'
        )
        for slot, x, w in zip(timeline.slots, xs, widths, strict=False):
            value = getattr(slot, attr)
            if not value:
                continue
            out.append(
                f'<rect class="blocked" data-statement="{slot.index + 1}" x="{x + 2:.1f}" '
                f'y="{y + 5}" width="{w - 4:.1f}" height="{LANE_H - 10}" rx="3" '
                f'fill="{BLOCKED_COLOR}" fill-opacity="0.8"><title>line {slot.line}: {what} '
                f"{'were blocked' if timeline.observed else 'would be blocked'}</title></rect>"
            )
        out.append("</g>")
    return out


def _axis(timeline: tl.Timeline, xs: list[float], y: int) -> list[str]:
    if not timeline.observed:
        return [
            f'<text class="axis" x="{LABEL_W}" y="{y + 16}">statements in order (no dry-run: '
            "no times; locks as predicted)</text>"
        ]
    out = [f'<text class="axis" x="6" y="{y + 16}">time (statement run time)</text>']
    last_x = -1000.0
    for i, x in enumerate(xs):
        if x - last_x < 56 and i != len(xs) - 1:
            continue
        # xs ends with the end of the last statement.
        t = timeline.slots[i].start_ms if i < len(timeline.slots) else timeline.total_ms
        out.append(f'<text class="axis" x="{x + 2:.1f}" y="{y + 16}">{_duration(t)}</text>')
        last_x = x
    return out


def _legend(timeline: tl.Timeline) -> str:
    used = sorted({bar.mode for bar in timeline.bars})
    items = [
        f'<span><span class="swatch" style="background:{MODE_COLORS[mode]}"></span>'
        f"{mode.pg_name}</span>"
        for mode in used
    ]
    items.append(
        '<span><span class="swatch" style="background:repeating-linear-gradient(45deg,#7f0000 '
        '0 3px,#d9a3a3 3px 5px)"></span>hatched: blocks reads and writes</span>'
    )
    items.append(
        '<span><span class="swatch" style="background:radial-gradient(#fff 30%,#fd8d3c 35%) '
        '0 0/5px 5px"></span>dotted: blocks writes</span>'
    )
    items.append("<span>faded: a relation the transaction created (blocks nobody)</span>")
    how = "blocked (measured)" if timeline.observed else "would block (predicted)"
    items.append(
        f'<span><span class="swatch" style="background:{BLOCKED_COLOR}"></span>'
        f"reads / writes {how}</span>"
    )
    if len({slot.file for slot in timeline.slots}) > 1:
        items.append("<span>a dark line: where a migration file starts</span>")
    if timeline.observed:
        items.extend(
            f'<span><span class="swatch" style="background:{VERDICT_COLORS[v]}"></span>'
            f"{v.value}</span>"
            for v in VerdictKind
        )
        items.append("<span>a bar runs from the statement that took the lock to its COMMIT</span>")
    return '<div class="legend">' + "".join(items) + "</div>"


# ---- statements and findings -----------------------------------------------------------


def _statements(report: Report) -> str:
    dynamic = any(s.observation is not None for s in report.statements)
    anchor = _anchor_prefix(report)
    head = ["#", "where", "statement", "predicted locks", "blocks"]
    head += ["observed locks", "measured", "time", "verdict"] if dynamic else ["rewrite"]
    head.append("risk")
    rows = []
    for i, s in enumerate(report.statements, 1):
        p = s.prediction
        predicted = "\n".join(lock_lines(p.locks)) if p.analysable else "unknown"
        cells = [
            str(i),
            _breakable(f"{s.statement.location.file}:{s.statement.location.line}"),
            _e(s.statement.sql),
            _breakable(predicted),
            _blocks(p.blocks_reads, p.blocks_writes),
        ]
        if dynamic:
            cells += _observed_cells(s)
        else:
            cells.append("rewrite" if p.rewrite else "scan" if p.table_scan else "-")
        risk = str(s.risk) if s.risk is not None and s.risk > Severity.INFO else "-"
        cells.append(f'<span class="risk {risk}">{risk}</span>')
        classes = (
            {1: "where", 2: "sql", 3: "locks", 5: "locks", 7: "time"}
            if dynamic
            else {1: "where", 2: "sql", 3: "locks"}
        )
        row = "".join(
            f'<td class="{classes[n]}">{c}</td>' if n in classes else f"<td>{c}</td>"
            for n, c in enumerate(cells)
        )
        rows.append(f'<tr id="{anchor}stmt-{i}">{row}</tr>')
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        '<h3>Statements</h3>\n<table class="statements"><thead><tr>'
        f"{header}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _observed_cells(s: StatementReport) -> list[str]:
    o = s.observation
    verdict = s.verdict.kind.value if s.verdict else "-"
    verdict_cell = f'<span class="verdict {verdict}">{verdict}</span>'
    if s.verdict and s.verdict.reasons:
        verdict_cell += '<br><span class="muted">' + _e("; ".join(s.verdict.reasons)) + "</span>"
    if o is None or not o.ran:
        reason = o.not_run_reason if o and o.not_run_reason else "not run"
        return [f'<span class="muted">{_e(reason)}</span>', "-", "-", verdict_cell]
    if o.error is not None:
        text = f"ERROR {o.error.sqlstate or ''}: {o.error.message}"
        return [_e(text), "-", _duration(o.duration_ms), verdict_cell]
    acquired = [lock for lock in o.locks if lock.acquired]
    observed = "\n".join(lock_lines(acquired)) if acquired else "-"
    notes: list[str] = []
    if o.sampled:
        notes.append("sampled while running")
    if o.waited_for_lock:
        notes.append("waited for other sessions")
    if o.waited_for_pgfence:
        notes.append(PGFENCE_WAIT_NOTE)
    if o.rewritten:
        notes.append("rewrote " + ", ".join(short_name(r) for r in o.rewritten))
    if notes:
        observed += "\n(" + "; ".join(notes) + ")"
    time = _duration(o.duration_ms)
    if o.held_ms is not None and o.held_ms > o.duration_ms * 1.5 and o.held_ms >= 1:
        time += f", held {_duration(o.held_ms)}"
    return [_breakable(observed), _blocks(o.blocks_reads, o.blocks_writes), time, verdict_cell]


def _blocks(reads: bool | None, writes: bool | None) -> str:
    if reads is None and writes is None:
        return "?"
    if reads:
        return "<b>reads+<wbr>writes</b>"
    return "<b>writes</b>" if writes else "-"


def _findings(report: Report) -> str:
    found = sorted(results(report), key=lambda r: (-r.finding.severity, r.finding.location))
    if not found:
        return "<h3>Findings</h3>\n<p>No findings.</p>"
    anchor = _anchor_prefix(report)
    index = {id(s): i for i, s in enumerate(report.statements, 1)}
    return "<h3>Findings</h3>\n" + "\n".join(_finding(r, report, anchor, index) for r in found)


def _finding(r: Result, report: Report, anchor: str, index: dict[int, int]) -> str:
    f = r.finding
    failing = fails(f, report)
    where = _e(str(f.location))
    if r.statement is not None:
        where = f'<a href="#{anchor}stmt-{index[id(r.statement)]}">{where}</a>'
    parts = [
        f'<div class="finding{" failing" if failing else ""}" data-rule="{_e(f.rule)}" '
        f'data-severity="{f.severity}">',
        f'<p class="head"><span class="risk {f.severity}">{f.severity}</span> · '
        f"<code>{_e(f.rule)}</code> · {where}"
        f"{' · fails the run' if failing else ''}</p>",
        f"<p>{_e(f.message)}</p>",
    ]
    if f.recipe:
        parts.append('<p class="muted">Safe rewrite:</p>')
        parts.append(f'<pre class="recipe">{_e(chr(10).join(f.recipe))}</pre>')
    parts.append("</div>")
    return "\n".join(parts)


def _differences(matrix: MatrixReport) -> str:
    if not matrix.differences:
        return "<p>Every statement behaves the same on every version.</p>"
    majors = [r.pg_version for r in matrix.reports]
    head = "".join(f"<th>PG {m}</th>" for m in majors)
    rows = []
    for diff in matrix.differences:
        by = dict(diff.by_version)
        cells = "".join(f"<td>{_e(by.get(m, '-'))}</td>" for m in majors)
        rows.append(
            f"<tr><td>{_e(f'{diff.location.file}:{diff.location.line}')}</td>"
            f'<td class="sql">{_e(diff.sql)}</td>{cells}</tr>'
        )
    return (
        f"<h2>{len(matrix.differences)} statement(s) behave differently</h2>\n"
        f'<table class="differences"><thead><tr><th>where</th><th>statement</th>{head}</tr>'
        "</thead><tbody>" + "\n".join(rows) + "</tbody></table>"
    )


# ---- small helpers ---------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# Where a long path or lock mode may break (after / _ . or , and between the humps of
# ShareRowExclusive), so the statements table fits the window without breaking words.
_BREAK_AT = re.compile(r"(?<=[/_.,])(?=[^\s/_.,])|(?<=[a-z])(?=[A-Z])")


def _breakable(text: str) -> str:
    return "<wbr>".join(_e(part) for part in _BREAK_AT.split(text))


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.1f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


__all__ = ["column_widths", "render", "render_matrix"]
