"""The JSON report: the documented contract of docs/json-report.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pgfence.model import Finding, Prediction, Report, Severity, StatementReport
from pgfence.reporting import sizes
from pgfence.reporting.common import assumptions

if TYPE_CHECKING:
    from pgfence.model.dryrun import Observation, ObservedLock, RunnerOutcome, Verdict

# 2: `observed.locks` lists what the statement acquired, no longer what its transaction
# held before it (`observed.held_before` counts those); `verdict.relations` and
# `observed.select_blocked` follow.
# 3: per-relation blocking: every predicted and observed lock says whether it blocks reads
# and writes of its relation (`blocks_reads`, `blocks_writes`), and `predicted` and
# `observed` name the relations whose readers and writers are kept out
# (`blocks_reads_of`, `blocks_writes_of`); `predicted.unknown` lists the named relations
# the known schema lacks (what else they lock is unknown: give --schema); `rewritten` lists
# the tables (and other relations) that get new files, `rebuilt` the indexes, apart.
SCHEMA_VERSION = 3


def render(report: Report, *, pretty: bool = False) -> str:
    # Indented output goes through json's pure-Python encoder, several times slower than
    # the compact C one: indent only for a person reading a terminal.
    return json.dumps(to_dict(report), indent=2 if pretty else None, ensure_ascii=False) + "\n"


def to_dict(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pgfence_version": report.pgfence_version,
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "pg_version": report.pg_version,
    }
    if report.project is not None:
        out["project"] = report.project
    if report.server is not None:
        out["server"] = {
            "version": report.server.version,
            "major": report.server.major,
            "backend": report.server.backend,
        }
    if report.shard is not None:
        shard = report.shard
        out["shard"] = {
            "index": shard.index,
            "count": shard.count,
            "units": shard.units,
            "inputs": shard.inputs,
        }
    out["statements"] = [
        _statement(s, names)
        for s, names in zip(report.statements, toast_names(report.statements), strict=True)
    ]
    out["findings"] = [_finding(f) for f in report.findings]
    if report.seeding is not None:
        out["seeding"] = sizes.seeding_json(report.seeding)
        out["lock_holds"] = [sizes.lock_hold_json(h) for h in report.lock_holds]
    out["assumptions"] = [
        {
            "text": a.text,
            "file": a.location.file if a.location else None,
            "line": a.location.line if a.location else None,
        }
        for a in assumptions(report)
    ]
    if report.runner is not None:
        out["runner"] = _runner(report.runner)
    out["summary"] = summary(report)
    return out


def toast_names(statements: Iterable[StatementReport]) -> Iterator[dict[str, str]]:
    """For each statement, a stable name for each TOAST table (and its index) the dry-run
    saw locked so far.

    Postgres names a TOAST table after its table's OID (pg_toast.pg_toast_16995), and OIDs
    differ between runs that did not create exactly the same objects in the same order (a
    shard applies the earlier shards' files in one replay): the report names it after its
    table as of that statement instead (a table renamed keeps its TOAST table),
    pg_toast.public.schedule, and its index pg_toast.public.schedule_index.
    """
    names: dict[str, str] = {}
    for s in statements:
        for lock in s.observation.locks if s.observation else ():
            if lock.table and lock.relation.startswith("pg_toast.pg_toast_"):
                index = lock.relation.endswith("_index")
                names[lock.relation] = f"pg_toast.{lock.table}" + ("_index" if index else "")
        yield names


def _runner(runner: RunnerOutcome) -> dict[str, Any]:
    """`dryrun --runner`: how the migration tool ran, and its own statements (not judged)."""
    return {
        "command": runner.command,
        "exit_code": runner.exit_code,
        "timed_out": runner.timed_out,
        "connections": runner.connections,
        "problem": runner.problem,
        "migrations": list(runner.migrations),
        "own_statements": list(runner.own_statements),
        "output": runner.output if runner.failed else "",
        "compared_static": runner.compared,
        "faults": list(runner.faults),
        "differences": [
            {
                "file": d.file,
                "line": d.line,
                "kind": d.kind,
                "static_sql": d.static_sql,
                "sent_sql": d.sent_sql,
            }
            for d in runner.differences
        ],
    }


def _statement(s: StatementReport, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names or {}
    stmt = s.statement
    out: dict[str, Any] = {
        "file": stmt.location.file,
        "line": stmt.location.line,
        "column": stmt.location.column,
        "sql": stmt.sql,
        "transaction": stmt.transaction.scope.value,
        "transaction_block": stmt.transaction.block,
        "predicted": _prediction(s.prediction),
        "findings": [_finding(f, names) for f in s.findings],
    }
    if stmt.origin:
        out["origin"] = stmt.origin
    if s.observation is not None:
        out["observed"] = _observation(s.observation, names)
    if s.verdict is not None:
        out["verdict"] = _verdict(s.verdict, names)
    if s.estimate is not None:
        out["estimate"] = sizes.estimate_json(s.estimate)
    return out


def _prediction(p: Prediction) -> dict[str, Any]:
    return {
        "locks": [
            {
                "relation": lock.relation,
                "mode": lock.mode.pg_name,
                "kind": lock.kind.value,
                "role": lock.role,
                **({"table": lock.table} if lock.table else {}),
                "new": lock.new,
                "blocks_reads": not lock.blocks_nobody and lock.mode.blocks_reads,
                "blocks_writes": not lock.blocks_nobody and lock.mode.blocks_writes,
            }
            for lock in p.locks
        ],
        "rewrite": p.rewrite,
        "rewritten": [r for r in p.rewrites if r not in p.rebuilds],
        "rebuilt": list(p.rebuilds),
        "table_scan": p.table_scan,
        "scanned": list(p.scans),
        "blocks_reads": p.blocks_reads,
        "blocks_writes": p.blocks_writes,
        "blocks_reads_of": list(p.reads_blocked_on),
        "blocks_writes_of": list(p.writes_blocked_on),
        "analysable": p.analysable,
        "rows": list(p.rows),
        "notes": list(p.notes),
        "unknown": list(p.unknown),
    }


# A relation that lives only while a statement runs (the new heap of a rewrite) has no name
# but its OID, which differs between runs: the report leaves the number out.
_TRANSIENT = re.compile(r"\(transient relation \d+\)")


def _name(relation: str, names: dict[str, str]) -> str:
    return _TRANSIENT.sub("(transient relation)", names.get(relation, relation))


def _renamed(text: str, names: dict[str, str]) -> str:
    # The longest first: pg_toast.pg_toast_1_index is not pg_toast.pg_toast_1 + "_index".
    for old in sorted((n for n in names if n in text), key=len, reverse=True):
        text = text.replace(old, names[old])
    return _TRANSIENT.sub("(transient relation)", text)


def _held(lock: ObservedLock) -> bool:
    """A lock others can run into: granted, on a relation they can see."""
    return lock.granted and not lock.new


def _observation(o: Observation, names: dict[str, str]) -> dict[str, Any]:
    return {
        "ran": o.ran,
        "locks": [
            {
                "relation": _name(lock.relation, names),
                "mode": lock.mode.pg_name,
                "granted": lock.granted,
                "kind": lock.kind.value,
                **({"table": lock.table} if lock.table else {}),
                "new": lock.new,
                "acquired": lock.acquired,
                "blocks_reads": _held(lock) and lock.mode.blocks_reads,
                "blocks_writes": _held(lock) and lock.mode.blocks_writes,
            }
            for lock in o.locks
        ],
        "held_before": len(o.held_before),
        # Sorted: the server's order follows the relations' OIDs.
        "rewritten": sorted(_name(r, names) for r in o.rewritten if r not in o.rebuilt),
        "rebuilt": sorted(_name(r, names) for r in o.rebuilt),
        "blocks_reads": o.blocks_reads,
        "blocks_writes": o.blocks_writes,
        "blocks_reads_of": list(o.reads_blocked_on),
        "blocks_writes_of": list(o.writes_blocked_on),
        "blocking_measured": o.blocking_measured,
        "select_blocked": list(o.select_blocked),
        "duration_ms": round(o.duration_ms, 3),
        "held_ms": None if o.held_ms is None else round(o.held_ms, 3),
        "sampled": o.sampled,
        "waited_for_lock": o.waited_for_lock,
        "waited_for_pgfence": o.waited_for_pgfence,
        "not_run_reason": o.not_run_reason,
        "error": None
        if o.error is None
        else {
            "sqlstate": o.error.sqlstate,
            "message": o.error.message,
            **(
                {
                    "file": o.error.location.file,
                    "line": o.error.location.line,
                    "column": o.error.location.column,
                }
                if o.error.location
                else {}
            ),
        },
    }


def _verdict(v: Verdict, names: dict[str, str]) -> dict[str, Any]:
    relations = [
        {
            "relation": _name(r.relation, names),
            "predicted": r.predicted.pg_name if r.predicted else None,
            "observed": r.observed.pg_name if r.observed else None,
            "kind": r.kind.value,
        }
        for r in v.relations
    ]
    return {
        "kind": v.kind.value,
        # In the order of the names the report shows (the verdict sorts by the server's).
        "relations": sorted(relations, key=lambda r: str(r["relation"])),
        "reasons": [_renamed(reason, names) for reason in v.reasons],
    }


def _finding(f: Finding, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": str(f.severity),
        "message": _renamed(f.message, names or {}),
        "file": f.location.file,
        "line": f.location.line,
        "column": f.location.column,
        "recipe": list(f.recipe),
        "dynamic": f.dynamic,
    }


def summary(report: Report) -> dict[str, Any]:
    statements = report.statements
    findings = report.all_findings()
    by_severity = {str(s): sum(1 for f in findings if f.severity == s) for s in Severity}
    out: dict[str, Any] = {
        "files": len({s.statement.location.file for s in statements}),
        "statements": len(statements),
        "blocking_reads": sum(1 for s in statements if s.prediction.blocks_reads),
        "blocking_writes": sum(1 for s in statements if s.prediction.blocks_writes),
        "rewrites": sum(1 for s in statements if s.prediction.rewrite),
        "unanalysable": sum(1 for s in statements if not s.prediction.analysable),
        "findings": by_severity,
        "fail_on": str(report.fail_on),
        "failed": report.failed,
    }
    if any(s.verdict is not None for s in statements):
        kinds: dict[str, int] = {}
        for s in statements:
            if s.verdict is not None:
                kinds[s.verdict.kind.value] = kinds.get(s.verdict.kind.value, 0) + 1
        out["verdicts"] = kinds
    return out
