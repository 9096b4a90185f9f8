"""`pgfence preflight`: the table for people and the JSON of docs/json-report.md."""

from __future__ import annotations

import json
from typing import Any

from pgfence.durations import format_ms
from pgfence.model import Blocker, OtherSession, PreflightReport
from pgfence.reporting.terminal import fill, json_safe, visible, visible_lines

PREFLIGHT_SCHEMA_VERSION = 1


def render_table(report: PreflightReport, *, width: int = 100) -> str:
    width = max(width, 80)
    timeout = (
        f"lock_timeout {format_ms(report.lock_timeout_ms)}"
        if report.lock_timeout_ms > 0
        else "no lock_timeout"
    )
    lines = [
        f"pgfence preflight · PostgreSQL {report.server.version} · {timeout} "
        f"(from {report.lock_timeout_source})"
    ]
    if report.needs:
        lines.append("\nThe migration needs")
        for need in report.needs:
            blocks = (
                "blocks reads+writes"
                if need.mode.blocks_reads
                else "blocks writes"
                if need.mode.blocks_writes
                else "blocks only other schema changes"
            )
            extra = ", waits for older transactions" if need.waits_for_old_transactions else ""
            name = _short(need.relation)
            if need.table:
                name += f" (index of {_short(need.table)})"
            lines.append(
                f"  {name:28} {need.mode.pg_name:20} line {need.location.line:<5} {blocks}{extra}"
            )
    lines.append("\nIn the way")
    if report.blockers:
        for blocker in report.blockers:
            lines.extend(_blocker(blocker, width))
    else:
        lines.append("  nobody: no other session holds or waits for a conflicting lock")
    if report.long_transactions:
        lines.append("\nLong transactions")
        for session in report.long_transactions:
            lines.extend(_session(session, width))
    if report.traffic:
        lines.append("\nWhat would queue behind it")
        for traffic in report.traffic:
            summary = visible(traffic.summary)
            lines.append(_wrap(f"{_short(traffic.relation)}: {summary}", width, "  "))
    for note in report.notes:
        lines.append(_wrap(f"note: {visible(note)}", width, ""))
    lines.append("")
    if report.failed:
        lines.append("NOT A GOOD TIME:")
        lines.extend(_wrap(visible(reason), width, "  - ", "    ") for reason in report.reasons)
    else:
        lines.append("a good time: nothing the migration needs is held by a lasting transaction")
    # The live server's sessions name themselves (application_name, their queries): every
    # field is shown `visible` already; this catches what any of them missed.
    return visible_lines("\n".join(lines) + "\n")


def _blocker(blocker: Blocker, width: int) -> list[str]:
    head = f"  {_short(blocker.relation)}: {visible(blocker.session.label)} {visible(blocker.why)}"
    out = [_wrap(head, width, "", "      ")]
    if blocker.session.query:
        query = visible(blocker.session.query)
        out.append(_wrap(f"query: {query}", width, "      ", "      "))
    return out


def _session(session: OtherSession, width: int) -> list[str]:
    age = session.transaction_age_s
    age_text = format_ms(age * 1000) if age is not None else "?"
    head = f"  {visible(session.label)}  {visible(session.state or '?')}  open {age_text}"
    out = [_wrap(head, width, "", "      ")]
    if session.query:
        out.append(_wrap(f"query: {visible(session.query)}", width, "      ", "      "))
    return out


def _wrap(text: str, width: int, first: str, rest: str = "    ") -> str:
    return fill(text, width - 2, first, rest)


def _short(relation: str) -> str:
    return visible(relation.removeprefix("public."))


# ---- JSON --------------------------------------------------------------------------------


def render_json(report: PreflightReport, *, pretty: bool = False) -> str:
    text = json.dumps(to_dict(report), indent=2 if pretty else None, ensure_ascii=False)
    return json_safe(text) + "\n"


def to_dict(report: PreflightReport) -> dict[str, Any]:
    return {
        "pgfence_version": report.pgfence_version,
        "schema_version": PREFLIGHT_SCHEMA_VERSION,
        "command": "preflight",
        "server": {
            "version": report.server.version,
            "major": report.server.major,
            "backend": report.server.backend,
        },
        "lock_timeout_ms": report.lock_timeout_ms,
        "lock_timeout_source": report.lock_timeout_source,
        "needs": [
            {
                "relation": n.relation,
                "mode": n.mode.pg_name,
                "file": n.location.file,
                "line": n.location.line,
                "waits_for_old_transactions": n.waits_for_old_transactions,
                "table": n.table,
            }
            for n in report.needs
        ],
        "blockers": [
            {
                "relation": b.relation,
                "mode": b.mode.pg_name,
                "granted": b.granted,
                "needed": b.needed.pg_name,
                "line": b.location.line,
                "lasting": b.lasting,
                "why": b.why,
                "session": _session_dict(b.session),
            }
            for b in report.blockers
        ],
        "long_transactions": [_session_dict(s) for s in report.long_transactions],
        "traffic": [
            {
                "relation": t.relation,
                "mode": t.mode.pg_name,
                "sessions_now": t.sessions_now,
                "scans_per_s": t.scans_per_s,
                "rows_written_per_s": t.rows_written_per_s,
                "sample_s": t.sample_s,
                "summary": t.summary,
            }
            for t in report.traffic
        ],
        "notes": list(report.notes),
        "good_time": not report.failed,
        "reasons": list(report.reasons),
    }


def _session_dict(s: OtherSession) -> dict[str, Any]:
    return {
        "pid": s.pid,
        "user": s.user,
        "application": s.application,
        "state": s.state,
        "backend_type": s.backend_type,
        "transaction_age_s": None if s.transaction_age_s is None else round(s.transaction_age_s, 3),
        "query_age_s": None if s.query_age_s is None else round(s.query_age_s, 3),
        "query": s.query,
        "prepared_gid": s.prepared_gid,
        "hidden": s.hidden,
    }
