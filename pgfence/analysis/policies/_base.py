"""What a policy is, and the words several policies share."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator

from pgfence.analysis.policy import FileRun, Step, TransactionRun
from pgfence.analysis.rule import display
from pgfence.checks import Check, Hit, Scope
from pgfence.model import LockOnRelation, RelKind, TxScope

__all__ = ["Policy", "lock_phrase", "strongest", "timeout_statement"]


class Policy(Check):
    scope = Scope.TRANSACTION

    @abstractmethod
    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        """Yield (statement, hit) for each problem in this migration file."""


def strongest(locks: tuple[LockOnRelation, ...]) -> LockOnRelation:
    """The lock that blocks most, preferring the statement's own table."""
    return max(
        locks, key=lambda lock: (lock.mode, lock.role == "target", lock.kind is RelKind.TABLE)
    )


def lock_phrase(lock: LockOnRelation) -> str:
    if lock.kind in (RelKind.INDEX, RelKind.PARTITIONED_INDEX) and lock.table:
        return f"{lock.mode.sql_name} on index {display(lock.relation)} of {display(lock.table)}"
    if lock.kind is RelKind.SEQUENCE:
        return f"{lock.mode.sql_name} on sequence {display(lock.relation)}"
    return f"{lock.mode.sql_name} on {display(lock.relation)}"


def blocked_traffic(lock: LockOnRelation) -> str:
    if lock.kind is RelKind.SEQUENCE:
        return "every nextval() (every INSERT that draws from it)"
    if lock.kind in (RelKind.INDEX, RelKind.PARTITIONED_INDEX):
        return "every query that would use the index"
    return "every query" if lock.mode.blocks_reads else "every write"


def timeout_statement(tx: TransactionRun, setting: str, value: str) -> str:
    """How to set a timeout for the statements of this transaction."""
    if tx.scope is TxScope.AUTOCOMMIT:
        return f"SET {setting} = '{value}';"
    return f"SET LOCAL {setting} = '{value}';"


def where_to_set(tx: TransactionRun) -> str:
    if tx.scope is TxScope.EXPLICIT:
        return "-- right after BEGIN:"
    if tx.scope is TxScope.RUNNER:
        return "-- first statement of the file (the tool's transaction):"
    return "-- at the top of the file, before the first statement that locks:"


def sql_of(step: Step) -> str:
    return step.statement.sql.strip().rstrip(";") + ";"
