"""Seeded sizes, durations at production size and lock holds: in the table and in JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pgfence.durations import format_ms
from pgfence.model import Report, StatementReport
from pgfence.reporting.terminal import cells, fill, visible

if TYPE_CHECKING:
    from pgfence.model.dryrun import DurationEstimate, LockHold, SeedSummary


def duration_note(s: StatementReport) -> str | None:
    """The line under a statement's measured time: its estimate at production size."""
    e = s.estimate
    if e is None or e.expected_ms is None:
        return None
    return f"≈ {format_ms(e.expected_ms)} prod"


def table_section(report: Report, width: int) -> str | None:
    """Durations at production size, lock holds and the seeded rows, for the table."""
    if report.seeding is None:
        return None
    parts = []
    estimates = [s for s in report.statements if s.estimate is not None]
    if estimates:
        parts.append("\n" + _wrap(_heading(report.seeding), width, "", "  "))
        for s in estimates:
            parts.extend(_estimate_lines(s, width))
    if report.lock_holds:
        parts.append("\nLocks held, per relation")
        for hold in report.lock_holds:
            parts.append(_wrap(visible(hold.summary), width, "  ", "    "))
    parts.append(_seeding_lines(report.seeding, width))
    return "\n".join(parts)


def _heading(seeding: SeedSummary) -> str:
    if seeding.scale is not None:
        size = f"seeded at {seeding.scale:g} of the recorded sizes"
    elif seeding.rows_per_table is not None:
        size = f"seeded with {seeding.rows_per_table:,} rows per table"
    else:
        size = "seeded"
    smaller = ", ".join(f"{f:g}" for f in seeding.sizes if f < 1)
    also = f"; also run at {smaller} of that" if smaller else ""
    return f"Durations at production size ({size}{also})"


def _estimate_lines(s: StatementReport, width: int) -> list[str]:
    e = s.estimate
    assert e is not None
    where = visible(f"{s.statement.location.file}:{s.statement.location.line}")
    first = f"  {where}  {e.work} of {_short(e.relation)}"
    fits = cells(first) <= width - 2
    lines = [first if fits else _wrap(first.strip(), width, "  ", "    ")]
    measured = " · ".join(f"{format_ms(ms)} at {rows:,} rows" for rows, ms in e.measured)
    lines.append(_wrap(f"measured {measured}: {e.scaling}", width, "      ", "      "))
    if e.expected_ms is not None and e.production_rows is not None:
        span = ""
        if e.low_ms is not None and e.high_ms is not None:
            span = f" ({format_ms(e.low_ms)} – {format_ms(e.high_ms)})"
        lines.append(
            _wrap(
                f"≈ {format_ms(e.expected_ms)}{span} at {e.production_rows:,} rows, "
                f"confidence {e.confidence}",
                width,
                "      ",
                "        ",
            )
        )
    for why in e.basis:
        lines.append(_wrap(visible(why), width, "        ", "        "))
    return lines


def _seeding_lines(seeding: SeedSummary, width: int) -> str:
    filled = [t for t in seeding.tables if t.filled]
    head = (
        f"Seeded {len(filled)} of {len(seeding.tables)} tables: {seeding.rows:,} rows in "
        f"{seeding.seconds:.1f} s ({seeding.rows_per_second:,.0f} rows/s)"
    )
    lines = ["\n" + _wrap(head, width, "", "  ")]
    for t in seeding.tables:
        if not t.filled:
            text = f"not filled: {visible(t.relation)}: {visible(t.note or '')}"
            lines.append(_wrap(text, width, "  ", "      "))
        elif t.note:
            lines.append(_wrap(f"{visible(t.relation)}: {visible(t.note)}", width, "  ", "      "))
    return "\n".join(lines)


def _wrap(text: str, width: int, first: str, rest: str) -> str:
    return fill(text, width - 2, first, rest)


def _short(relation: str) -> str:
    return visible(relation.removeprefix("public."))


# ---- JSON ----------------------------------------------------------------------------------


def estimate_json(e: DurationEstimate) -> dict[str, Any]:
    return {
        "relation": e.relation,
        "work": e.work,
        "measured": [{"rows": rows, "duration_ms": round(ms, 3)} for rows, ms in e.measured],
        "production_rows": e.production_rows,
        "expected_ms": _ms(e.expected_ms),
        "low_ms": _ms(e.low_ms),
        "high_ms": _ms(e.high_ms),
        "exponent": None if e.exponent is None else round(e.exponent, 3),
        "scaling": e.scaling,
        "confidence": e.confidence,
        "basis": list(e.basis),
    }


def seeding_json(seeding: SeedSummary) -> dict[str, Any]:
    return {
        "scale": seeding.scale,
        "rows_per_table": seeding.rows_per_table,
        "sizes": list(seeding.sizes),
        "rows": seeding.rows,
        "seconds": round(seeding.seconds, 3),
        "rows_per_second": round(seeding.rows_per_second),
        "tables": [
            {
                "relation": t.relation,
                "filled": t.filled,
                "rows": t.rows,
                "target": t.target,
                "production_rows": t.production_rows,
                "table_bytes": t.table_bytes,
                "note": t.note,
            }
            for t in seeding.tables
        ],
    }


def lock_hold_json(hold: LockHold) -> dict[str, Any]:
    return {
        "relation": hold.relation,
        "mode": hold.mode.pg_name,
        "blocks_reads": hold.blocks_reads,
        "blocks_writes": hold.blocks_writes,
        "file": hold.since.file,
        "line": hold.since.line,
        "until_line": hold.until.line if hold.until else hold.since.line,
        "statements": hold.statements,
        "held_ms": round(hold.held_ms, 3),
        "production_ms": _ms(hold.production_ms),
        "summary": hold.summary,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
