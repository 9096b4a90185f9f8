"""The human report: one table per file, then findings with their recipes, then a summary."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pgfence.model import (
    PGFENCE_WAIT_NOTE,
    ROLLED_BACK_WARNING,
    Finding,
    LockOnRelation,
    Report,
    Severity,
    StatementReport,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from pgfence.reporting import layout, sizes
from pgfence.reporting.common import Assumption, assumptions
from pgfence.reporting.json import summary
from pgfence.reporting.layout import Column, Shrink
from pgfence.reporting.terminal import cells, cut, fill, visible, visible_lines, wrap

if TYPE_CHECKING:
    from pgfence.model.dryrun import ObservedLock, RunnerOutcome

_SHORT_MODE = {mode: mode.pg_name.removesuffix("Lock") for mode in LockMode}


def render(
    report: Report,
    *,
    width: int | None = None,
    color: bool = False,
    quiet: bool = False,
    show_statements: bool = False,
) -> str:
    """The report for a terminal: a table for each file with something to say (every file
    with `show_statements`), one line for the clean ones, the findings, the summary line.
    `quiet`: the findings and the summary line only."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    width = max(width, 80)
    parts = [] if quiet else _tables(report, width, show_statements)
    findings = sorted(report.all_findings(), key=lambda f: (f.location, -f.severity))
    if findings:
        parts.append("Findings" if quiet else "\nFindings")
        parts.extend(_grouped_text(group, width) for group in group_findings(findings))
    assumed = [a for a in assumptions(report) if a.location is not None]
    if assumed and not quiet:
        parts.append("\nAssumed")
        parts.extend(_assumption_text(a, width) for a in assumed)
    if report.runner is not None:
        parts.append(_runner_section(report.runner))
    parts.append(("" if quiet and not findings else "\n") + _wrapped(_summary_line(report), width))
    # Every field above is shown `visible` already; this catches what any of them missed.
    text = visible_lines("\n".join(parts) + "\n")
    return _colorize(text) if color else text


def _tables(report: Report, width: int, show_statements: bool) -> list[str]:
    dynamic = any(s.observation is not None for s in report.statements)
    parts = ["\n".join(_wrapped(line, width) for line in _header(report).split("\n"))]
    # What the whole run assumed, under the header: it qualifies every time below.
    parts.extend(
        fill(f"assumed: {a.text}", width, "", "  ")
        for a in assumptions(report)
        if a.location is None
    )
    noted = {f.location.file for f in report.findings if f.severity > Severity.INFO}
    clean: list[tuple[str, int]] = []
    shown = False
    for file, statements in _by_file(report.statements):
        if not show_statements and file not in noted and all(map(_is_clean, statements)):
            clean.append((file, len(statements)))
            continue
        parts.append(f"\n{_wrapped(visible(file), width)}")
        parts.append(_table(statements, width, dynamic))
        shown = True
    if clean:
        parts.append("\n" + _wrapped(_clean_line(clean, shown=shown), width))
    sizes_section = sizes.table_section(report, width)
    if sizes_section:
        parts.append(sizes_section)
    unknown = _unknown_lines(report, width)
    if unknown:
        parts.append("\nUnknown without the schema (give --schema)")
        parts.extend(unknown)
    return parts


def _assumption_text(a: Assumption, width: int) -> str:
    assert a.location is not None
    where = visible(f"{a.location.file}:{a.location.line}")
    return "\n".join(
        [*wrap(where, width, "  ", "  "), *wrap(visible(a.text), width, "      ", "      ")]
    )


def _is_clean(s: StatementReport) -> bool:
    """Nothing to say about this statement: no finding above info, and (in a dry-run) the
    server took what was predicted."""
    if any(f.severity > Severity.INFO for f in s.findings):
        return False
    return s.verdict is None or s.verdict.kind is VerdictKind.CONFIRMED


def _clean_line(clean: list[tuple[str, int]], *, shown: bool) -> str:
    """One line for the files with nothing to say ("All checks passed!")."""
    statements = sum(n for _, n in clean)
    files = f"{len(clean)} file(s)" if len(clean) > 1 else visible(clean[0][0])
    others = "the other " if shown and len(clean) > 1 else ""
    return (
        f"All checks passed for {others}{files} ({statements} statement(s)): "
        "--show-statements shows their tables"
    )


def _runner_section(runner: RunnerOutcome) -> str:
    """`dryrun --runner`: the tool's run, its own statements counted (not judged), and its
    output's end when it failed."""
    lines = [f"\nRunner: {visible(runner.command)}"]
    status = runner.problem or f"exited with code {runner.exit_code}"
    lines.append(
        f"  {status} · {runner.connections} connection(s) · "
        f"{len(runner.migrations)} migration(s) recorded · "
        f"{len(runner.own_statements)} statement(s) of its own, not judged"
    )
    if runner.compared:
        lines.append(f"  static reading vs what it sent: {len(runner.differences)} difference(s)")
        lines.extend(f"    {visible(d.describe())}" for d in runner.differences)
    if runner.failed and runner.output.strip():
        lines.append("  its output (end):")
        lines.extend(f"    {visible(line)}" for line in runner.output.strip().splitlines()[-20:])
    return "\n".join(lines)


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
    command = report.command
    if report.project is not None:
        command += f" · project {visible(report.project)}"
    if report.server is not None:
        head = (
            f"pgfence {command} · PostgreSQL {report.server.version} "
            f"({report.server.backend} server) · prediction for PG {report.pg_version}"
        )
        if report.server.backend == "dsn":
            head += "\n" + f"warning: {ROLLED_BACK_WARNING}"
        return head
    return f"pgfence {command} · prediction for PostgreSQL {report.pg_version}"


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
        return "\n".join(lines)
    return "\n".join([text, "of " + ", ".join(short_name(r) for r in named)])


def _locked_tables(locks: Iterable[LockOnRelation | ObservedLock]) -> frozenset[str]:
    return frozenset(lock.relation for lock in locks if not lock.new and lock.kind.is_table_like)


_STATIC = [
    Column("line"),
    Column("statement", max_lines=3),
    Column("locks"),
    Column("blocks"),
    Column("rewrite"),
    Column("risk"),
]
_DYNAMIC = [
    Column("line"),
    Column("statement", max_lines=3),
    Column("observed locks"),
    Column("blocks"),
    Column("time"),
    Column("verdict"),
    Column("risk"),
]
# The statement gives way first, wrapped (then cut on its third line); then what wraps
# between words; the locks last. Floors keep every column readable at 80 columns.
_SHRINK_STATIC = [Shrink(1, 30), Shrink(3, 6), Shrink(2, 24), Shrink(1, 16, True)]
_SHRINK_DYNAMIC = [
    Shrink(1, 30),
    Shrink(3, 6),
    Shrink(4, 6),
    Shrink(5, 9),
    Shrink(2, 24),
    Shrink(1, 20, True),
    Shrink(2, 16, True),
    Shrink(1, 12, True),
]


def _table(statements: list[StatementReport], width: int, dynamic: bool) -> str:
    rows = [_dynamic_row(s) if dynamic else _static_row(s) for s in statements]
    if dynamic:
        return layout.table(_DYNAMIC, rows, width, _SHRINK_DYNAMIC)
    return layout.table(_STATIC, rows, width, _SHRINK_STATIC)


def _risk(s: StatementReport) -> str:
    return str(s.risk) if s.risk is not None and s.risk > Severity.INFO else "-"


def _statement_cell(s: StatementReport) -> list[str]:
    return [visible(_SQL_BLANKS.sub(" ", s.statement.sql).strip()) or "-"]


def _predicted(s: StatementReport) -> list[str]:
    p = s.prediction
    return lock_lines(p.locks) if p.analysable else ["unknown"]


def _static_row(s: StatementReport) -> list[list[str]]:
    p = s.prediction
    flags = ["rewrite" if p.rewrite else "scan" if p.table_scan else "-"]
    if p.rewrite and any("assumed" in note for note in p.notes):
        flags.append("(assumed)")  # said in full under "Assumed"
    return [
        [str(s.statement.location.line)],
        _statement_cell(s),
        _predicted(s),
        _blocks(
            p.blocks_reads,
            p.blocks_writes,
            p.reads_blocked_on,
            p.writes_blocked_on,
            _locked_tables(p.locks),
        ).split("\n"),
        flags,
        [_risk(s)],
    ]


def _dynamic_row(s: StatementReport) -> list[list[str]]:
    observed, measured, duration = _observed_cells(s)
    verdict = s.verdict.kind if s.verdict is not None else None
    # Where the server agreed, the prediction is the observation: it is shown once.
    if verdict is not VerdictKind.CONFIRMED and (s.prediction.locks or not s.prediction.analysable):
        observed = [*observed, *(f"predicted: {line}" for line in _predicted(s))]
    return [
        [str(s.statement.location.line)],
        _statement_cell(s),
        observed,
        measured.split("\n"),
        duration,
        [verdict.value if verdict else "-"],
        [_risk(s)],
    ]


def _observed_cells(s: StatementReport) -> tuple[list[str], str, list[str]]:
    o = s.observation
    if o is None or not o.ran:
        reason = "not run" + (f": {visible(o.not_run_reason)}" if o and o.not_run_reason else "")
        return [reason], "-", ["-"]
    duration = [f"{o.duration_ms:.0f}ms" if o.duration_ms >= 1 else f"{o.duration_ms:.1f}ms"]
    if o.error is not None:
        text = visible(f"ERROR {o.error.sqlstate or ''}: {o.error.message}")
        return [cut(text, 3 * _CELL_WIDTH)], "-", duration
    acquired = [lock for lock in o.locks if lock.acquired]
    observed = lock_lines(acquired) if acquired else ["-"]
    if o.held_before or len(acquired) < len(o.locks):
        observed.append("(+ locks held since earlier)")
    if o.sampled:
        observed.append("(sampled while running)")
    if o.waited_for_lock:
        observed.append("(waited for other sessions)")
    if o.waited_for_pgfence:
        observed.append(f"({PGFENCE_WAIT_NOTE})")
    if o.rewritten:
        observed.append(_rewrote(o.rewritten))
    if o.held_ms is not None and o.held_ms > o.duration_ms * 1.5 and o.held_ms >= 1:
        duration.append(f"held {o.held_ms:.0f}ms")
    at_production = sizes.duration_note(s)
    if at_production:
        duration.append(at_production)
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


def _rewrote(relations: Iterable[str]) -> str:
    """The relations a statement rewrote, its TOAST tables left out (they go with their
    table) and at most three named."""
    names = [short_name(r) for r in relations if not r.startswith("pg_toast.")]
    more = f" +{len(names) - 3} more" if len(names) > 3 else ""
    return "rewrote " + ", ".join(names[:3]) + more


# An error message is cut after about three lines of a narrow column.
_CELL_WIDTH = 34


def finding_text(f: Finding, width: int | None = None, mark: str = "") -> str:
    """A finding with its place, message and safe rewrite; with `width`, every line of it
    fits in that many columns (the rewrite's SQL laid out one clause a line). `mark`
    follows the check id ("(PG 15 only)")."""
    where, what = visible(str(f.location)), f"{f.severity}  {visible(f.rule)}{mark}"
    head = f"  {where}  {what}"
    message = visible(f.message)
    if width is None:
        out = [head, "      " + message]
    else:
        # A long path goes on a line (or lines) of its own; severity and check id under it.
        heads = [head] if cells(head) <= width else [*wrap(where, width, "  ", "  "), "    " + what]
        out = [*heads, fill(message, width, "      ", "      ")]
    if f.recipe:
        out.append("      safe rewrite:")
        for step in f.recipe:
            for line in step.split("\n"):
                shown = visible(line)
                if width is None:
                    out.append("        " + shown)
                else:
                    out.extend(layout.sql_lines(shown, width, "        "))
    return visible_lines("\n".join(out))


def group_findings(findings: Iterable[Finding]) -> list[list[Finding]]:
    """Findings that say the same thing (check, severity and message) at several places,
    together, in the order of the first of each."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.rule, f.severity, f.message), []).append(f)
    return list(groups.values())


# How many of the other places of a repeated finding are named.
_NAMED_PLACES = 5


def _grouped_text(group: list[Finding], width: int) -> str:
    """The first finding of a group in full, then "… and N more" with where they are."""
    first, *rest = group
    text = finding_text(first, width)
    if not rest:
        return text
    places = ", ".join(visible(str(f.location)) for f in rest[:_NAMED_PLACES])
    if len(rest) > _NAMED_PLACES:
        places += ", …"
    own = any(f.recipe != first.recipe for f in rest)
    rewrites = " (each rewrite with its own names: --format json has them all)" if own else ""
    more = f"… and {len(rest)} more{rewrites}: {places}"
    return text + "\n" + visible_lines(fill(more, width, "      ", "        "))


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


def _wrapped(text: str, width: int) -> str:
    """A line of the report that may run long (a header, the summary), wrapped to `width`."""
    return "\n".join(wrap(text, width, "", "  "))


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
