"""Prediction against observation: was the static analysis right about this statement?

- confirmed: the database took what we said (per relation, per rewrite, per blocking);
- over-predicted: we feared more than happened;
- under-predicted: the database took a lock that blocks something we did not say, rewrote
  a relation we did not say, or blocked reads or writes we did not say would be blocked.
  That is the dangerous case; it fails the run.
- not-run: nothing to compare (the statement did not run, or failed).

Lock modes are compared by what they block (their conflict sets), since modes are not
totally ordered by it. An index or TOAST table may be locked as strongly as its table
without surprising anyone: the statement touches the table, and the table's lock already
keeps everyone out who would use the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from pgfence.model import (
    LockOnRelation,
    Observation,
    Prediction,
    RelationVerdict,
    RelKind,
    Verdict,
    VerdictKind,
)
from pgfence.pg.locks import LockMode, conflict_union, conflicts

T = TypeVar("T")


@dataclass(frozen=True)
class Carried:
    """What the locks predicted for earlier statements of a still open transaction mean
    for a verdict: they are still held, so what a reader or writer measures includes
    them. Built lock by lock as the transaction goes (`plus`), and shared by the
    statements that add none: a verdict reads it once, whatever the transaction holds (a
    500-statement transaction's verdicts went over 2,000 locks each, three times)."""

    modes: frozenset[LockMode] = frozenset()  # of the locks that block someone
    # The tables whose readers / writers they keep out: an index's or TOAST table's
    # table as predicted, other relations by the name the prediction gave them (an
    # earlier statement may have renamed it since: the verdict maps them).
    read_tables: frozenset[str] = frozenset()
    read_relations: frozenset[str] = frozenset()
    write_tables: frozenset[str] = frozenset()
    write_relations: frozenset[str] = frozenset()

    @classmethod
    def of(cls, locks: Iterable[LockOnRelation]) -> Carried:
        return cls().plus(locks)

    def plus(self, locks: Iterable[LockOnRelation]) -> Carried:
        held = [lock for lock in locks if not lock.blocks_nobody]
        if not held:
            return self
        reads = [lock for lock in held if LockMode.ACCESS_SHARE in conflicts(lock.mode)]
        writes = [lock for lock in held if LockMode.ROW_EXCLUSIVE in conflicts(lock.mode)]
        return Carried(
            _grown(self.modes, {lock.mode for lock in held}),
            _grown(self.read_tables, _tables(reads)),
            _grown(self.read_relations, _relations(reads)),
            _grown(self.write_tables, _tables(writes)),
            _grown(self.write_relations, _relations(writes)),
        )

    def keeping_out(self, what: str, renamed: Mapping[str, str]) -> set[str]:
        """The tables whose readers (`what` "reads") or writers are kept out, each by the
        name the statement uses (`renamed`: the earlier names -> the ones now)."""
        tables = self.read_tables if what == "reads" else self.write_tables
        relations = self.read_relations if what == "reads" else self.write_relations
        if not renamed:
            return set(tables | relations)
        return set(tables) | {renamed.get(r, r) for r in relations}


NOTHING_CARRIED = Carried()


def _grown(old: frozenset[T], new: set[T]) -> frozenset[T]:
    return old if new <= old else old | new


def _by_table(lock: LockOnRelation) -> bool:
    return lock.kind.is_index_or_toast and bool(lock.table)


def _tables(locks: list[LockOnRelation]) -> set[str]:
    return {lock.table for lock in locks if _by_table(lock) and lock.table}


def _relations(locks: list[LockOnRelation]) -> set[str]:
    return {lock.relation for lock in locks if not _by_table(lock)}


def judge(
    prediction: Prediction,
    observation: Observation | None,
    carried: Carried = NOTHING_CARRIED,
) -> Verdict:
    """Compare one statement's prediction with what the server did.

    `carried`: locks predicted for earlier statements of the same, still open, transaction.
    They are still held, so what a reader or writer measures includes them.

    Locks of statements run outside a transaction are sampled while they run: a sample
    proves a lock was taken, but a lock not seen may have been missed, so those are only
    judged for what they took, never for what they did not.
    """
    if observation is None or not observation.ran:
        reason = observation.not_run_reason if observation is not None else None
        return Verdict(VerdictKind.NOT_RUN, reasons=(reason or "not run",))
    if observation.error is not None:
        why = (observation.not_run_reason,) if observation.not_run_reason else ()
        return Verdict(VerdictKind.NOT_RUN, reasons=(f"failed: {observation.error.message}", *why))

    predicted: dict[str, set[LockMode]] = {}
    for lock in prediction.locks:
        if not lock.new:
            predicted.setdefault(lock.relation, set()).add(lock.mode)
    acquired: dict[str, set[LockMode]] = {}
    held: dict[str, set[LockMode]] = {}
    owner: dict[str, str | None] = {}
    for seen in observation.locks:
        if seen.new:
            continue
        held.setdefault(seen.relation, set()).add(seen.mode)
        if seen.acquired:
            acquired.setdefault(seen.relation, set()).add(seen.mode)
        if seen.kind.is_index_or_toast:
            owner[seen.relation] = seen.table
    # What earlier statements of the transaction hold counts as held, on the relations the
    # prediction names or the statement rewrote: on any other it cannot change the verdict.
    renamed: dict[str, str] = {}  # held under the name it had when taken -> the name now
    for relation in set(predicted) | set(observation.rewritten):
        for seen in observation.held_before.on(relation):
            if seen.new:
                continue
            if seen.relation != relation:
                renamed[seen.relation] = relation
            held.setdefault(relation, set()).add(seen.mode)
            if seen.kind.is_index_or_toast:
                owner[relation] = seen.table

    sampled = observation.sampled
    under: list[str] = []
    over: list[str] = []
    notes: list[str] = []
    relations: list[RelationVerdict] = []
    for relation in sorted(set(predicted) | set(held)):
        expected = set(predicted.get(relation, set()))
        if relation in owner and owner[relation] in predicted:
            expected |= predicted[owner[relation] or ""]
        got_new = acquired.get(relation, set())
        got_all = held.get(relation, set())
        kind = VerdictKind.CONFIRMED
        if got_new and not conflict_union(got_new) <= conflict_union(expected):
            if got_new == {LockMode.ACCESS_SHARE} and not expected:
                # Reading a table nobody said it would read blocks only DDL: worth a note,
                # not a failed run.
                notes.append(f"{relation}: also read (AccessShareLock)")
            else:
                kind = VerdictKind.UNDER_PREDICTED
                said = _names(predicted.get(relation))
                under.append(f"{relation}: took {_names(got_new)}, predicted {said}")
        elif (
            not sampled
            and relation in predicted
            and not relation.startswith("(")
            and not conflict_union(predicted[relation]) <= conflict_union(got_all)
        ):
            kind = VerdictKind.OVER_PREDICTED
            over.append(
                f"{relation}: predicted {_names(predicted[relation])}, took {_names(got_all)}"
            )
        relations.append(
            RelationVerdict(
                relation,
                max(predicted[relation]) if relation in predicted else None,
                max(got_all) if got_all else None,
                kind,
            )
        )

    rewrites = _unpredicted_rewrites(prediction, observation, owner, over if not sampled else [])
    held_before = carried.modes
    reads = prediction.blocks_reads or any(m.blocks_reads for m in held_before)
    writes = prediction.blocks_writes or any(m.blocks_writes for m in held_before)
    lenient: list[str] = [] if sampled else over
    blocked: list[str] = []
    _compare_blocking("reads", reads, observation.blocks_reads, blocked, lenient)
    _compare_blocking("writes", writes, observation.blocks_writes, blocked, lenient)
    if not sampled and not blocked:
        # Per relation: whose readers and writers were kept out (measured table by table).
        if observation.blocks_reads is not None:
            _compare_relations(
                "reads",
                prediction,
                carried,
                prediction.reads_blocked_on,
                observation.reads_blocked_on,
                blocked,
                lenient,
                renamed,
            )
        if observation.blocks_writes is not None:
            _compare_relations(
                "writes",
                prediction,
                carried,
                prediction.writes_blocked_on,
                observation.writes_blocked_on,
                blocked,
                lenient,
                renamed,
            )
    if under or rewrites or blocked:
        rewritten = [f"{r}: rewritten, not predicted" for r in rewrites]
        return Verdict(
            VerdictKind.UNDER_PREDICTED,
            tuple(relations),
            tuple(under + rewritten + blocked + over + notes),
            unpredicted=tuple(under + blocked),
            unpredicted_rewrites=tuple(rewrites),
        )
    if over:
        return Verdict(VerdictKind.OVER_PREDICTED, tuple(relations), tuple(over + notes))
    return Verdict(VerdictKind.CONFIRMED, tuple(relations), tuple(notes))


def _unpredicted_rewrites(
    prediction: Prediction,
    observation: Observation,
    owner: dict[str, str | None],
    over: list[str],
) -> list[str]:
    """Relations rewritten though no rewrite was predicted (rewrites predicted but not seen
    go to `over`)."""
    predicted = set(prediction.rewrites)
    observed = set(observation.rewritten)
    toast_tables = {r for r in observed if r.startswith("pg_toast.")}
    unpredicted = []
    for relation in sorted(observed - predicted - toast_tables):
        table = owner.get(relation)
        if table is not None and table in predicted:
            continue  # an index rebuilt with its table
        unpredicted.append(relation)
    for relation in sorted(predicted - observed):
        if not relation.startswith("("):
            over.append(f"{relation}: predicted a rewrite, none happened")
    return unpredicted


_UNMEASURABLE = (RelKind.MATERIALIZED_VIEW, RelKind.FOREIGN_TABLE, RelKind.UNKNOWN)


def _compare_relations(
    what: str,
    prediction: Prediction,
    carried: Carried,
    said: tuple[str, ...],
    seen: tuple[str, ...],
    under: list[str],
    over: list[str],
    renamed: dict[str, str],
) -> None:
    """The tables whose readers (writers) were kept out against those predicted; what an
    earlier statement of the transaction holds counts as predicted. LOCK TABLE, which
    measures it, refuses materialized views and foreign tables: they are not judged.
    `renamed`: tables an earlier statement of the transaction renamed (the name other
    sessions still see -> the name the statement uses): both name the same table."""
    seen = tuple(renamed.get(r, r) for r in seen)
    expected = set(said) | carried.keeping_out(what, renamed)
    for relation in sorted(set(seen) - expected):
        under.append(f"{what} of {relation} were blocked, not predicted")
    kinds = {lock.relation: lock.kind for lock in prediction.locks}
    for relation in sorted(set(said) - set(seen)):
        if kinds.get(relation, RelKind.TABLE) not in _UNMEASURABLE:
            over.append(f"{what} of {relation} were predicted blocked, but got through")


def _compare_blocking(
    what: str, predicted: bool, measured: bool | None, under: list[str], over: list[str]
) -> None:
    if measured is None or measured == predicted:
        return
    if measured:
        under.append(f"{what} were blocked, not predicted")
    else:
        over.append(f"{what} were predicted blocked, but got through")


def _names(modes: set[LockMode] | None) -> str:
    if not modes:
        return "nothing"
    return "+".join(m.pg_name for m in sorted(modes))
