"""A saved JSON report (`--format json`, docs/json-report.md) read back into a `Report`, so
that `pgfence report render` and `pgfence report merge` work on what a CI job left behind.

It reads what the JSON holds: rendering the result gives what rendering the run's own
report gave, except what the JSON never carried (the parse tree, and which locks an
earlier statement of the transaction held: only their number is kept, and the loaded
statement is said to hold that many of the transaction's earlier locks).
"""

from __future__ import annotations

import json
from typing import Any

from pgfence.errors import BadInput
from pgfence.model import (
    DurationEstimate,
    Finding,
    HeldLocks,
    Location,
    LockHold,
    LockLog,
    LockOnRelation,
    MatrixReport,
    Observation,
    ObservedLock,
    Prediction,
    RelationVerdict,
    RelKind,
    Report,
    SeededTable,
    SeedSummary,
    ServerInfo,
    Severity,
    ShardInfo,
    Statement,
    StatementError,
    StatementReport,
    Transaction,
    TxScope,
    Verdict,
    VerdictKind,
    VersionDifference,
)
from pgfence.pg.locks import LockMode
from pgfence.reporting.json import SCHEMA_VERSION


def load(text: str, source: str) -> Report | MatrixReport:
    """The report in `text` (read from `source`, named in errors)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not JSON: {exc.msg}", file=source, line=exc.lineno) from None
    try:
        if isinstance(data, dict) and "versions" in data:
            return _matrix(data, source)
        return _report(data, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"no {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise BadInput(f"not a pgfence JSON report ({what})", file=source) from None


def _matrix(data: dict[str, Any], source: str) -> MatrixReport:
    reports = tuple(_report(r, source) for r in data["versions"])
    differences = tuple(
        VersionDifference(
            Location(d["file"], d["line"], d["column"]),
            d["sql"],
            tuple((int(major), text) for major, text in d["by_version"].items()),
        )
        for d in data["differences"]
    )
    return MatrixReport(reports, differences)


def _report(data: dict[str, Any], source: str) -> Report:
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise BadInput(
            f"a report of schema_version {version}: this pgfence reads {SCHEMA_VERSION}",
            file=source,
        )
    if data["command"] not in ("analyze", "dryrun"):
        raise ValueError(f"command {data['command']!r}")
    server = data.get("server")
    shard = data.get("shard")
    logs: dict[object, LockLog] = {}
    seeding = data.get("seeding")
    return Report(
        pgfence_version=data["pgfence_version"],
        pg_version=int(data["pg_version"]),
        statements=tuple(_statement(s, logs) for s in data["statements"]),
        findings=tuple(_finding(f) for f in data["findings"]),
        server=None
        if server is None
        else ServerInfo(server["version"], int(server["major"]), server["backend"]),
        fail_on=Severity.parse(data["summary"]["fail_on"]),
        command=data["command"],
        seeding=None if seeding is None else _seeding(seeding),
        lock_holds=tuple(_lock_hold(h) for h in data.get("lock_holds", ())),
        shard=None
        if shard is None
        else ShardInfo(shard["index"], shard["count"], shard["units"], shard["inputs"]),
        project=data.get("project"),
    )


def _statement(data: dict[str, Any], logs: dict[object, LockLog]) -> StatementReport:
    location = Location(data["file"], data["line"], data["column"])
    statement = Statement(
        sql=data["sql"],
        location=location,
        transaction=Transaction(TxScope(data["transaction"]), data["transaction_block"]),
        origin=data.get("origin"),
    )
    observed = data.get("observed")
    verdict = data.get("verdict")
    estimate = data.get("estimate")
    return StatementReport(
        statement=statement,
        prediction=_prediction(data["predicted"]),
        findings=tuple(_finding(f) for f in data["findings"]),
        observation=None if observed is None else _observation(observed, statement, logs),
        verdict=None if verdict is None else _verdict(verdict),
        estimate=None if estimate is None else _estimate(estimate),
    )


def _mode(name: str) -> LockMode:
    return LockMode.from_pg_name(name)


def _prediction(data: dict[str, Any]) -> Prediction:
    return Prediction(
        locks=tuple(
            LockOnRelation(
                relation=lock["relation"],
                mode=_mode(lock["mode"]),
                kind=RelKind(lock["kind"]),
                role=lock["role"],
                table=lock.get("table"),
                new=lock["new"],
            )
            for lock in data["locks"]
        ),
        rewrites=tuple(dict.fromkeys([*data["rewritten"], *data.get("rebuilt", [])])),
        rebuilds=tuple(data.get("rebuilt", [])),
        scans=tuple(data["scanned"]),
        rows=tuple(data["rows"]),
        analysable=data["analysable"],
        notes=tuple(data["notes"]),
        unknown=tuple(data.get("unknown", [])),
        reads_blocked_on=tuple(data.get("blocks_reads_of", [])),
        writes_blocked_on=tuple(data.get("blocks_writes_of", [])),
    )


def _observation(
    data: dict[str, Any], statement: Statement, logs: dict[object, LockLog]
) -> Observation:
    locks = tuple(
        ObservedLock(
            relation=lock["relation"],
            mode=_mode(lock["mode"]),
            granted=lock["granted"],
            kind=RelKind(lock["kind"]),
            table=lock.get("table"),
            new=lock["new"],
            acquired=lock["acquired"],
        )
        for lock in data["locks"]
    )
    error = data["error"]
    return Observation(
        locks=locks,
        held_before=_held_before(data["held_before"], locks, statement, logs),
        rewritten=tuple(dict.fromkeys([*data["rewritten"], *data.get("rebuilt", [])])),
        rebuilt=tuple(data.get("rebuilt", [])),
        blocks_reads=data["blocks_reads"],
        blocks_writes=data["blocks_writes"],
        reads_blocked_on=tuple(data.get("blocks_reads_of", [])),
        writes_blocked_on=tuple(data.get("blocks_writes_of", [])),
        waited_for_pgfence=data.get("waited_for_pgfence", False),
        blocking_measured=data["blocking_measured"],
        select_blocked=tuple(data["select_blocked"]),
        duration_ms=float(data["duration_ms"]),
        sampled=data["sampled"],
        ran=data["ran"],
        error=None if error is None else _error(error),
        not_run_reason=data["not_run_reason"],
        waited_for_lock=data["waited_for_lock"],
        held_ms=data["held_ms"],
    )


def _held_before(
    count: int, locks: tuple[ObservedLock, ...], statement: Statement, logs: dict[object, LockLog]
) -> HeldLocks:
    """`count` of the locks the earlier statements of this transaction took (the JSON keeps
    only how many were still held: after a ROLLBACK TO SAVEPOINT, not which)."""
    block = statement.transaction.block
    log = None if block is None else logs.setdefault(block, LockLog())
    if count == 0:
        held = HeldLocks()
    elif log is not None and len(log) >= count:
        held = HeldLocks(log, count)
    else:
        held = _placeholder(count)
    if log is not None:
        log.extend(locks)
    return held


def _placeholder(count: int) -> HeldLocks:
    # Nothing says which locks they were; their number is what the renderers show.
    unknown = ObservedLock("(held before)", LockMode.ACCESS_SHARE, acquired=False)
    return HeldLocks(LockLog([unknown] * count), count)


def _error(data: dict[str, Any]) -> StatementError:
    where = None
    if "file" in data:
        where = Location(data["file"], data["line"], data["column"])
    return StatementError(data["sqlstate"], data["message"], where)


def _verdict(data: dict[str, Any]) -> Verdict:
    return Verdict(
        kind=VerdictKind(data["kind"]),
        relations=tuple(
            RelationVerdict(
                relation=r["relation"],
                predicted=None if r["predicted"] is None else _mode(r["predicted"]),
                observed=None if r["observed"] is None else _mode(r["observed"]),
                kind=VerdictKind(r["kind"]),
            )
            for r in data["relations"]
        ),
        reasons=tuple(data["reasons"]),
    )


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"],
        severity=Severity.parse(data["severity"]),
        message=data["message"],
        location=Location(data["file"], data["line"], data["column"]),
        recipe=tuple(data["recipe"]),
        dynamic=data["dynamic"],
    )


def _estimate(data: dict[str, Any]) -> DurationEstimate:
    return DurationEstimate(
        relation=data["relation"],
        work=data["work"],
        measured=tuple((m["rows"], m["duration_ms"]) for m in data["measured"]),
        production_rows=data["production_rows"],
        expected_ms=data["expected_ms"],
        low_ms=data["low_ms"],
        high_ms=data["high_ms"],
        exponent=data["exponent"],
        scaling=data["scaling"],
        confidence=data["confidence"],
        basis=tuple(data["basis"]),
    )


def _seeding(data: dict[str, Any]) -> SeedSummary:
    return SeedSummary(
        tables=tuple(
            SeededTable(
                relation=t["relation"],
                rows=t["rows"],
                target=t["target"],
                production_rows=t["production_rows"],
                table_bytes=t["table_bytes"],
                filled=t["filled"],
                note=t["note"],
            )
            for t in data["tables"]
        ),
        seconds=data["seconds"],
        scale=data["scale"],
        rows_per_table=data["rows_per_table"],
        sizes=tuple(data["sizes"]),
    )


def _lock_hold(data: dict[str, Any]) -> LockHold:
    since = Location(data["file"], data["line"], 1)
    return LockHold(
        relation=data["relation"],
        mode=_mode(data["mode"]),
        blocks_reads=data["blocks_reads"],
        blocks_writes=data["blocks_writes"],
        since=since,
        until=None
        if data["until_line"] == data["line"]
        else Location(since.file, data["until_line"], 1),
        statements=data["statements"],
        held_ms=data["held_ms"],
        production_ms=data["production_ms"],
        summary=data["summary"],
    )
