"""The human report: one table per file, then findings with their recipes, then a summary."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable

from tabulate import tabulate

from pgfence.model import (
    ROLLED_BACK_WARNING,
    Finding,
    LockOnRelation,
    ObservedLock,
    Report,
    Severity,
    StatementReport,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from pgfence.reporting import sizes
from pgfence.reporting.json import summary
from pgfence.reporting.terminal import cut, fill, visible, visible_lines, wrap

_SHORT_MODE = {mode: mode.pg_name.removesuffix("Lock") for mode in LockMode}


def render(report: Report, *, width: int | None = None, color: bool = False) -> str:
    width = width or shutil.get_terminal_size((100, 24)).columns
    width = max(width, 80)
    dynamic = any(s.observation is not None for s in report.statements)
    parts = [_header(report)]
    for file, statements in _by_file(report.statements):
        parts.append(f"\n{visible(file)}")
        parts.append(_table(statements, width, dynamic))
    sizes_section = sizes.table_section(report, width)
    if sizes_section:
        parts.append(sizes_section)
    unknown = _unknown_lines(report, width)
    if unknown:
        parts.append("\nUnknown without the schema (give --schema)")
        parts.extend(unknown)
    findings = sorted(report.all_findings(), key=lambda f: (f.location, -f.severity))
    if findings:
        parts.append("\nFindings")
        parts.extend(finding_text(f, width) for f in findings)
    parts.append("\n" + _summary_line(report))
    # Every field above is shown `visible` already; this catches what any of them missed.
    text = visible_lines("\n".join(parts) + "\n")
    return _colorize(text) if color else text


def _unknown_lines(report: Report, width: int) -> list[str]:
    """The relations statements name that the known schema lacks, with what is unknown:
    one line per relation and what is unknown of it, with the lines that need it."""
    found: dict[tuple[str, str], list[int]] = {}
    for s in report.statements:
        if not s.prediction.unknown:
            continue
        for note in s.prediction.notes:
            if note.endswith("(give --schema)"):
                lines = found.setdefault((s.statement.location.file, note), [])
                lines.append(s.statement.location.line)
    out = []
    for (file, note), lines in found.items():
        where = f"{file}:{','.join(str(n) for n in lines)}"
        text = f"{where}  {note.removesuffix(' (give --schema)')}"
        out.append(fill(visible(text), width - 2, "  ", "      "))
    return out


def _header(report: Report) -> str:
    if report.server is not None:
        head = (
            f"pgfence {report.command} · PostgreSQL {report.server.version} "
            f"({report.server.backend} server) · prediction for PG {report.pg_version}"
        )
        if report.server.backend == "dsn":
            head += "\n" + fill(f"warning: {ROLLED_BACK_WARNING}", 100)
        return head
    return f"pgfence {report.command} · prediction for PostgreSQL {report.pg_version}"


def _by_file(statements: Iterable[StatementReport]) -> list[tuple[str, list[StatementReport]]]:
    groups: dict[str, list[StatementReport]] = {}
    for s in statements:
        groups.setdefault(s.statement.location.file, []).append(s)
    return list(groups.items())


def shorten_sql(sql: str, limit: int) -> str:
    """The statement on one line of at most `limit` columns, its control characters shown."""
    return cut(visible(_SQL_BLANKS.sub(" ", sql).strip()), limit)


# What SQL reads as whitespace between tokens; other controls are shown, not flattened.
_SQL_BLANKS = re.compile(r"[ \t\n\r\f\v]+")


def short_name(relation: str) -> str:
    """public.accounts -> accounts, for a terminal."""
    schema, _, name = relation.partition(".")
    return visible(name if schema == "public" and name else relation)


def lock_lines(
    locks: Iterable[LockOnRelation | ObservedLock], *, show_new: bool = False
) -> list[str]:
    """One line per relation; an index (or TOAST table) is folded into its table's line
    when the table holds a mode at least as strong."""
    locks = _strongest_per_relation(locks)
    strongest: dict[str, LockMode] = {}
    for lock in locks:
        if not lock.kind.is_index_or_toast:
            strongest[lock.relation] = max(strongest.get(lock.relation, lock.mode), lock.mode)
    folded: dict[str, int] = {}
    shown: list[LockOnRelation | ObservedLock] = []
    for lock in locks:
        owner = lock.table
        if lock.kind.is_index_or_toast and owner in strongest and lock.mode <= strongest[owner]:
            folded[owner] = folded.get(owner, 0) + 1
        else:
            shown.append(lock)
    lines = []
    new = sum(1 for lock in shown if lock.new)
    for lock in shown:
        if lock.new and not show_new:
            continue
        mark = " (new)" if lock.new else ""
        waiting = "" if getattr(lock, "granted", True) else " waiting"
        extra = folded.pop(lock.relation, 0) if not lock.kind.is_index_or_toast else 0
        more = f" +{extra} idx" if extra else ""
        lines.append(f"{short_name(lock.relation)}{mark} {_SHORT_MODE[lock.mode]}{waiting}{more}")
    if new and not show_new:
        lines.append(f"+{new} new" if lines else f"{new} new (blocks nobody)")
    return lines or ["-"]


def _strongest_per_relation(
    locks: Iterable[LockOnRelation | ObservedLock],
) -> list[LockOnRelation | ObservedLock]:
    """One lock per relation: the one whose mode blocks the most (held modes add up)."""
    best: dict[str, LockOnRelation | ObservedLock] = {}
    for lock in locks:
        current = best.get(lock.relation)
        if current is None or lock.mode > current.mode:
            best[lock.relation] = lock
    return list(best.values())


def _blocks(
    reads: bool | None,
    writes: bool | None,
    reads_of: tuple[str, ...] = (),
    writes_of: tuple[str, ...] = (),
    locked: frozenset[str] = frozenset(),
) -> str:
    """What is blocked, and of which tables when the statement locks several (an ATTACH
    PARTITION blocks the partition's readers, not the parent's)."""
    if reads is None and writes is None:
        return "?"
    text = "reads+writes" if reads else "writes" if writes else "-"
    named = writes_of or reads_of
    if text == "-" or not named or set(reads_of) | set(writes_of) >= locked:
        return text  # every table it locks: nothing to tell apart
    if reads and set(reads_of) != set(writes_of):
        lines = [f"reads of {', '.join(short_name(r) for r in reads_of)}"]
        lines.append(f"writes of {', '.join(short_name(r) for r in writes_of)}")
        return _cell(lines)
    return _cell([text, "of " + ", ".join(short_name(r) for r in named)])


def _locked_tables(locks: Iterable[LockOnRelation | ObservedLock]) -> frozenset[str]:
    return frozenset(lock.relation for lock in locks if not lock.new and lock.kind.is_table_like)


def _table(statements: list[StatementReport], width: int, dynamic: bool) -> str:
    rows: list[list[object]] = []
    sqls: list[str] = []
    for s in statements:
        p = s.prediction
        risk = str(s.risk) if s.risk is not None and s.risk > Severity.INFO else "-"
        predicted = _cell(lock_lines(p.locks)) if p.analysable else "unknown"
        sqls.append(s.statement.sql)
        if not dynamic:
            flags = "rewrite" if p.rewrite else "scan" if p.table_scan else "-"
            rows.append(
                [
                    s.statement.location.line,
                    predicted,
                    _blocks(
                        p.blocks_reads,
                        p.blocks_writes,
                        p.reads_blocked_on,
                        p.writes_blocked_on,
                        _locked_tables(p.locks),
                    ),
                    flags,
                    risk,
                ]
            )
            continue
        observed, measured, duration = _observed_cells(s)
        verdict = s.verdict.kind if s.verdict is not None else None
        # Where the server agreed, the prediction is the observation: say so in one word.
        if verdict is VerdictKind.CONFIRMED and p.analysable and p.locks:
            predicted = "= observed"
        rows.append(
            [
                s.statement.location.line,
                predicted,
                observed,
                measured,
                duration,
                verdict.value if verdict else "-",
                risk,
            ]
        )
    headers = (
        ["line", "predicted", "observed locks", "blocks", "time", "verdict", "risk"]
        if dynamic
        else ["line", "locks", "blocks", "rewrite", "risk"]
    )
    # The statement column gets whatever width the other columns leave.
    # tabulate pads each header by two (MIN_PADDING) and puts two spaces between columns.
    used = sum(
        max(len(h) + 2, *(len(line) for r in rows for line in str(r[i]).splitlines() or [""]))
        for i, h in enumerate(headers)
    )
    sql_width = max(20, width - used - 2 * len(headers))
    for row, sql in zip(rows, sqls, strict=True):
        row.insert(1, "\n".join(wrap(shorten_sql(sql, sql_width * 2), sql_width)) or "-")
    headers.insert(1, "statement")
    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


_CELL_WIDTH = 34


def _cell(lines: list[str]) -> str:
    return "\n".join(cut(line, _CELL_WIDTH) for line in lines)


def _observed_cells(s: StatementReport) -> tuple[str, str, str]:
    o = s.observation
    if o is None or not o.ran:
        reason = "not run" + (f": {visible(o.not_run_reason)}" if o and o.not_run_reason else "")
        return "\n".join(wrap(reason, _CELL_WIDTH)), "-", "-"
    duration = f"{o.duration_ms:.0f}ms" if o.duration_ms >= 1 else f"{o.duration_ms:.1f}ms"
    if o.error is not None:
        text = visible(f"ERROR {o.error.sqlstate or ''}: {o.error.message}")
        return "\n".join(wrap(text, _CELL_WIDTH)[:3]), "-", duration
    acquired = [lock for lock in o.locks if lock.acquired]
    observed = _cell(lock_lines(acquired)) if acquired else "-"
    if o.held_before or len(acquired) < len(o.locks):
        observed += "\n(+ locks held since earlier)"
    if o.sampled:
        observed += "\n(sampled while running)"
    if o.waited_for_lock:
        observed += "\n(waited for other sessions)"
    if o.rewritten:
        observed += "\n" + _cell(["rewrote " + ", ".join(short_name(r) for r in o.rewritten)])
    if o.held_ms is not None and o.held_ms > o.duration_ms * 1.5 and o.held_ms >= 1:
        duration += f"\nheld {o.held_ms:.0f}ms"
    at_production = sizes.duration_note(s)
    if at_production:
        duration += "\n" + at_production
    blocks = (
        _blocks(
            o.blocks_reads,
            o.blocks_writes,
            o.reads_blocked_on,
            o.writes_blocked_on,
            _locked_tables(o.locks),
        )
        if o.locks or o.held_before
        else "-"
    )
    return observed, blocks, duration


def finding_text(f: Finding, width: int | None = None) -> str:
    """A finding with its place, message and safe rewrite; the message wrapped to `width`."""
    head = f"  {visible(str(f.location))}  {f.severity}  {visible(f.rule)}"
    message = visible(f.message)
    body = "      " + message if width is None else fill(message, width, "      ", "      ")
    out = [head, body]
    if f.recipe:
        out.append("      safe rewrite:")
        for step in f.recipe:
            out.extend("        " + visible(line) for line in step.split("\n"))
    return visible_lines("\n".join(out))


def _summary_line(report: Report) -> str:
    s = summary(report)
    counts = ", ".join(
        f"{n} {sev}" for sev, n in reversed(list(s["findings"].items())) if n and sev != "info"
    )
    parts = [
        f"{s['statements']} statements in {s['files']} file(s)",
        f"{s['blocking_reads']} block reads",
        f"{s['blocking_writes']} block writes",
        f"{s['rewrites']} rewrite",
    ]
    if "verdicts" in s:
        parts.append(", ".join(f"{n} {k}" for k, n in sorted(s["verdicts"].items())))
    findings = f"findings: {counts}" if counts else "no findings"
    return f"{' · '.join(parts)} · {findings} → {outcome(report)}"


def outcome(report: Report) -> str:
    """passed, or FAILED with why: "FAILED (findings at or above high; 1 under-predicted)"."""
    under = len(report.under_predicted)
    reason = []
    if report.failing_findings:
        reason.append(f"findings at or above {report.fail_on}")
    if under:
        reason.append(f"{under} under-predicted")
    if not report.failed:
        return "passed"
    return f"FAILED ({'; '.join(reason)})" if reason else "FAILED"


_COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "under-predicted": "\033[1;31m",
    "FAILED": "\033[1;31m",
    "passed": "\033[32m",
    "confirmed": "\033[32m",
}


def _colorize(text: str) -> str:
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in _COLORS) + r")\b")
    return pattern.sub(lambda m: f"{_COLORS[m.group(1)]}{m.group(1)}\033[0m", text)


__all__ = ["VerdictKind", "lock_lines", "render", "shorten_sql"]
