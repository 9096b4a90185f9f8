"""Findings from what a real server did: the dry-run's checks raised.

The checks are declared in checks/dryrun.py (id, severity, docstring), so that `pgfence
rules`, `pgfence explain` and docs/rules.md list them; `dynamic_findings` turns one
statement's observation into findings. Pure functions of values: no connection is used
here.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policy import StatementFacts
from pgfence.analysis.rule import display
from pgfence.checks import Check, Hit, RuleSettings, raised
from pgfence.checks.dryrun import (
    InvalidIndexLeft,
    LockHeldLong,
    LockTimeout,
    MeasuredBlocking,
    ObservedRewrite,
    RefusedStatement,
    StatementFailed,
    StatementTimeout,
    TransactionLost,
    UnderPredictedLock,
    WaitedForLock,
)
from pgfence.model import Finding, Location, Observation, ObservedLock, StatementReport, VerdictKind


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 100 else f"{ms:.0f} ms"


class _Emit:
    def __init__(self, report: StatementReport) -> None:
        self.report = report

    def __call__(
        self, check: type[Check], message: str, *recipe: str, where: Location | None = None
    ) -> Finding:
        location = where or self.report.statement.location
        return raised(check, Hit(message, tuple(recipe)), location, dynamic=True)


def dynamic_findings(
    report: StatementReport, facts: StatementFacts, settings: RuleSettings
) -> tuple[Finding, ...]:
    """What the observation of one statement shows, as findings (ignores applied later)."""
    observation = report.observation
    if observation is None:
        return ()
    found = _findings(report, observation, facts, settings)
    return tuple(f for f in found if settings.enabled(f.rule))


def _findings(
    report: StatementReport, observation: Observation, facts: StatementFacts, settings: RuleSettings
) -> Iterator[Finding]:
    emit = _Emit(report)
    if observation.refused is not None:
        yield emit(RefusedStatement, observation.refused)
        return
    if observation.transaction_lost is not None:
        yield emit(TransactionLost, observation.transaction_lost)
    if observation.error is not None:
        yield from _error_findings(report, observation, emit)
        return
    if not observation.ran:
        return
    verdict = report.verdict
    if verdict is not None and verdict.kind is VerdictKind.UNDER_PREDICTED:
        if verdict.unpredicted:
            yield emit(
                UnderPredictedLock,
                "the server did more than predicted: " + "; ".join(verdict.unpredicted),
            )
        else:
            reasons = "; ".join(verdict.reasons)
            yield emit(
                UnderPredictedLock,
                f"the server took more than pgfence predicted: {reasons or 'a stronger lock'}",
            )
        fresh = set(facts.fresh) | {lock.relation for lock in observation.locks if lock.new}
        for relation in verdict.unpredicted_rewrites:
            if relation not in fresh:
                yield emit(
                    ObservedRewrite,
                    f"{display(relation)} was rewritten (new file node), which the prediction "
                    "did not expect: reads and writes waited for the whole copy",
                )
    blocked = _blocked(observation)
    # Locks this statement took itself (not those an earlier statement still holds).
    in_use = [
        lock
        for lock in observation.locks
        if lock.acquired
        and not lock.new
        and lock.relation not in facts.fresh
        and (lock.mode.blocks_reads or lock.mode.blocks_writes)
    ]
    if blocked and in_use and observation.duration_ms >= settings.long_lock_ms:
        yield emit(
            MeasuredBlocking,
            f"{blocked} of {display(_strongest(in_use))} were measured blocked while this "
            f"statement ran for {_seconds(observation.duration_ms)} (on the dry-run's data)",
        )
    if observation.waited_for_lock:
        yield emit(WaitedForLock, _waited(observation))
    held = observation.held_ms
    if (
        held is not None
        and facts.blocking
        and held >= settings.long_lock_ms
        and held - observation.duration_ms >= settings.long_lock_ms / 2
    ):
        lock = max(facts.blocking, key=lambda lock: lock.mode)
        yield emit(
            LockHeldLong,
            f"{lock.mode.sql_name} on {display(lock.table or lock.relation)} was held for "
            f"{_seconds(held)} until the transaction ended (the statement itself took "
            f"{_seconds(observation.duration_ms)})",
            "-- COMMIT right after this statement; run the slow statements after it in "
            "transactions of their own",
        )


# The extended protocol's refusal of a text that holds more than one statement.
_SEVERAL_STATEMENTS = "cannot insert multiple commands into a prepared statement"


def _error_findings(
    report: StatementReport, observation: Observation, emit: _Emit
) -> Iterator[Finding]:
    error = observation.error
    assert error is not None
    where = error.location or report.statement.location
    if report.statement.parse_error is not None and error.sqlstate == "42601":
        return  # the parse-error finding says it already
    if error.sqlstate == "42601" and error.message.startswith(_SEVERAL_STATEMENTS):
        yield emit(
            RefusedStatement,
            "the server read several statements where pgfence read one, and refused them "
            f"(nothing of it ran): {error.message}",
            where=where,
        )
    elif error.sqlstate == "57014" and "statement-timeout" in error.message:
        yield emit(StatementTimeout, f"did not finish: {error.message}", where=where)
    elif error.sqlstate == "55P03":
        yield emit(LockTimeout, f"waited for a lock and gave up: {error.message}", where=where)
    else:
        yield emit(
            StatementFailed,
            f"fails on the server: ERROR {error.sqlstate}: {error.message}"
            + (f"; {observation.not_run_reason}" if observation.not_run_reason else ""),
            where=where,
        )
    for index in observation.invalid_indexes:
        yield emit(
            InvalidIndexLeft,
            f"the failed build left the INVALID index {display(index)} behind: it slows "
            "every write and a re-run with IF NOT EXISTS would keep it",
            f"-- outside any transaction block:\nDROP INDEX CONCURRENTLY IF EXISTS {index};",
        )


def _waited(observation: Observation) -> str:
    """What the wait means for the server's traffic, from the locks held meanwhile."""
    held = [lock for lock in observation.locks if lock.acquired and not lock.new]
    strongest = max(held, key=lambda lock: lock.mode) if held else None
    if strongest is None:
        behind = "it held no lock on a table meanwhile"
    elif strongest.mode.blocks_reads:
        behind = "meanwhile every later query on the table queued behind it"
    elif strongest.mode.blocks_writes:
        behind = "meanwhile every later write to the table queued behind it"
    else:
        behind = (
            f"meanwhile it held {strongest.mode.sql_name} on "
            f"{display(strongest.table or strongest.relation)}: reads and writes go on, "
            "other DDL, VACUUM and ANALYZE of it wait"
        )
    if observation.sampled:
        # A wait for pgfence's own snapshot session is a note (waited_for_pgfence): this
        # one was for a transaction of someone else's.
        return (
            "this statement waited for a transaction older than it, not pgfence's, to end: "
            f"on a busy server it lasts as long as the longest of them; {behind}"
        )
    return f"this statement queued for a lock another session held: {behind}"


def _blocked(observation: Observation) -> str | None:
    if not observation.blocking_measured:
        return None
    if observation.blocks_reads and observation.blocks_writes:
        return "reads and writes"
    if observation.blocks_reads:
        return "reads"
    if observation.blocks_writes:
        return "writes"
    return None


def _strongest(locks: list[ObservedLock]) -> str:
    best = max(locks, key=lambda lock: lock.mode)
    return best.table or best.relation
