"""The lock timeline: statements along a time axis, one lane per relation, a bar per lock.

A dry-run gives each statement its own run time; a lock taken by a statement is held
until its transaction ends, so its bar runs to the end of the transaction's last
statement. Without a dry-run (analyze) the axis is the statements' order, one step each,
and the bars are the predicted locks. The HTML report draws this value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pgfence.model import LockOnRelation, RelKind, Report, StatementReport, VerdictKind
from pgfence.pg.locks import LockMode

if TYPE_CHECKING:
    from pgfence.model.dryrun import ObservedLock

# Relations whose lock belongs on the lane of the table they are part of.
_DEPENDENT = (RelKind.INDEX, RelKind.PARTITIONED_INDEX, RelKind.TOAST, RelKind.SEQUENCE)


@dataclass(frozen=True)
class Slot:
    """One statement on the time axis."""

    index: int
    file: str
    line: int
    sql: str
    start_ms: float
    duration_ms: float
    ran: bool
    verdict: VerdictKind | None
    # Measured in a dry-run (None: not measured), predicted otherwise.
    blocks_reads: bool | None
    blocks_writes: bool | None
    error: str | None = None


@dataclass(frozen=True)
class Bar:
    """A lock on one relation, from the statement that took it to its transaction's end."""

    lane: str  # the relation whose lane it is drawn in
    relation: str  # the relation locked (an index folded into its table's lane differs)
    mode: LockMode
    first_slot: int
    last_slot: int
    new: bool  # created by this transaction: blocks nobody
    granted: bool = True
    folded: int = 0  # locks on dependent relations (indexes, …) drawn in this bar
    held_ms: float | None = None

    @property
    def blocks_reads(self) -> bool:
        return not self.new and self.mode.blocks_reads

    @property
    def blocks_writes(self) -> bool:
        return not self.new and self.mode.blocks_writes

    @property
    def blocks(self) -> str:
        if self.blocks_reads:
            return "reads+writes"
        return "writes" if self.blocks_writes else "none"


@dataclass(frozen=True)
class Timeline:
    observed: bool  # times from a dry-run; False: predicted locks in statement order
    slots: tuple[Slot, ...]
    lanes: tuple[str, ...]  # relations, in the order they were first locked
    bars: tuple[Bar, ...]

    @property
    def total_ms(self) -> float:
        return sum(slot.duration_ms for slot in self.slots)


def build(report: Report) -> Timeline:
    observed = any(s.observation is not None for s in report.statements)
    statements = report.statements
    last = _last_of_transaction(statements)
    slots: list[Slot] = []
    bars: list[Bar] = []
    # The strongest mode already held on each lane in each open transaction: a later,
    # weaker lock of the same transaction changes nothing (held modes add up), so it gets
    # no bar of its own; a stronger one is drawn over the rest of the transaction.
    held: dict[tuple[int, str], LockMode] = {}
    clock = 0.0
    for i, s in enumerate(statements):
        slot = _slot(i, s, clock, observed)
        slots.append(slot)
        clock += slot.duration_ms
        block = s.statement.transaction.block
        for bar in _bars(i, s, last[i], observed):
            if block is not None:
                strongest = held.get((block, bar.lane))
                if strongest is not None and bar.mode <= strongest:
                    continue
                held[(block, bar.lane)] = bar.mode
            bars.append(bar)
    lanes = tuple(dict.fromkeys(bar.lane for bar in bars))
    return Timeline(observed, tuple(slots), lanes, tuple(bars))


def _last_of_transaction(statements: Sequence[StatementReport]) -> list[int]:
    """For each statement, the index of the last statement of its transaction."""
    last_in_block: dict[int, int] = {}
    for i, s in enumerate(statements):
        block = s.statement.transaction.block
        if block is not None:
            last_in_block[block] = i
    out = []
    for i, s in enumerate(statements):
        block = s.statement.transaction.block
        out.append(last_in_block[block] if block is not None else i)
    return out


def _slot(i: int, s: StatementReport, start: float, observed: bool) -> Slot:
    o = s.observation
    duration, ran, error = 1.0, False, None
    reads: bool | None = s.prediction.blocks_reads
    writes: bool | None = s.prediction.blocks_writes
    if observed:
        duration, reads, writes = 0.0, None, None
        if o is not None and not o.ran:
            error = o.not_run_reason
        elif o is not None:
            duration, ran = o.duration_ms, True
            reads, writes = o.blocks_reads, o.blocks_writes
            if o.error is not None:
                error = f"ERROR {o.error.sqlstate or ''}: {o.error.message}"
    return Slot(
        index=i,
        file=s.statement.location.file,
        line=s.statement.location.line,
        sql=s.statement.sql,
        start_ms=start,
        duration_ms=duration,
        ran=ran,
        verdict=s.verdict.kind if s.verdict is not None else None,
        blocks_reads=reads,
        blocks_writes=writes,
        error=error,
    )


def _bars(i: int, s: StatementReport, last: int, observed: bool) -> list[Bar]:
    if observed:
        o = s.observation
        if o is None or not o.ran:
            return []
        locks: list[LockOnRelation | ObservedLock] = [lock for lock in o.locks if lock.acquired]
        held = o.held_ms
    else:
        locks = list(s.prediction.locks)
        held = None
    strongest: dict[str, LockOnRelation | ObservedLock] = {}
    for lock in locks:
        current = strongest.get(lock.relation)
        if current is None or lock.mode > current.mode:
            strongest[lock.relation] = lock
    own = {
        relation: lock.mode
        for relation, lock in strongest.items()
        if lock.kind not in _DEPENDENT or lock.table is None
    }
    # A transient relation (the heap a rewrite builds, gone when the statement ends) is
    # drawn on the lane of the table the statement locked first.
    tables = [r for r, lock in strongest.items() if lock.kind.is_table_like and not lock.new]
    by_lane: dict[str, list[LockOnRelation | ObservedLock]] = {}
    for lock in strongest.values():
        lane = _lane(lock, own, tables[0] if tables else None, observed)
        if lane is not None:
            by_lane.setdefault(lane, []).append(lock)
    shown: list[tuple[str, LockOnRelation | ObservedLock, int]] = []
    for lane, members in by_lane.items():
        # What the lane's relation holds decides, not a relation the statement created
        # (a transient heap blocks nobody); among the rest the strongest, the lane's own
        # relation on a tie.
        members.sort(
            key=lambda lock: (
                lock.relation == lane or not lock.new,
                lock.mode,
                lock.relation == lane,
            ),
            reverse=True,
        )
        shown.append((lane, members[0], len(members) - 1))
    return [
        Bar(
            lane=lane,
            relation=lock.relation,
            mode=lock.mode,
            first_slot=i,
            last_slot=last,
            new=lock.new and lock.relation == lane,
            granted=getattr(lock, "granted", True),
            folded=folded,
            held_ms=held,
        )
        for lane, lock, folded in shown
    ]


def _lane(
    lock: LockOnRelation | ObservedLock,
    own: dict[str, LockMode],
    first_table: str | None,
    observed: bool,
) -> str | None:
    """The lane a lock is drawn on: its table's for a TOAST table (always), an index the
    table holds as strongly, or a transient relation; its own otherwise (None: not drawn,
    a transient relation of a statement that locked no table)."""
    owner = lock.table
    if owner is not None and lock.kind is RelKind.TOAST:
        return owner
    if owner is not None and lock.kind in _DEPENDENT and owner in own and lock.mode <= own[owner]:
        return owner
    if observed and _transient(lock):
        return first_table
    return lock.relation


def _transient(lock: LockOnRelation | ObservedLock) -> bool:
    """A relation the dry-run saw locked but could never name: created and dropped inside
    the statement (introspect.observed_locks gives it no file, so no kind or table)."""
    return lock.new and lock.kind is RelKind.UNKNOWN and lock.table is None
