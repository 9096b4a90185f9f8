"""Transaction-level policy: what is wrong with how statements are grouped, not with one.

The policies (analysis/policies/, one module each) see each migration file as a
`FileRun`: its statements in order (`Step`s) with the facts the policies need, decided
with the schema as it was before each statement (`StatementFacts`), the timeouts in
force when each runs, and the transactions they share (`TransactionRun`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import AlterTableType, TransactionStmtKind

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.rule import display, in_use
from pgfence.analysis.statements import data_change_target, is_unbatched, setting_changes
from pgfence.checks import RuleSettings
from pgfence.model import (
    LockOnRelation,
    Prediction,
    RelKind,
    Statement,
    StatementReport,
    TxScope,
)
from pgfence.pg.locks import LockMode
from pgfence.pg.rows import Row

# Roles whose relation is a table a statement deals with itself (not one it drags along,
# like the indexes or partitions of its target).
ROOT_ROLES = frozenset(
    {"target", "index-table", "referenced", "referencing", "parent", "partition", "sources"}
)
_TABLE_KINDS = (RelKind.TABLE, RelKind.PARTITIONED_TABLE, RelKind.MATERIALIZED_VIEW)


@dataclass(frozen=True)
class StatementFacts:
    """What the policies need to know of one statement, with the schema of its time."""

    # Locks on relations in use (not created by the migration) that block reads or writes.
    blocking: tuple[LockOnRelation, ...] = ()
    # Why it can run for a long time on a large table ("rewrites accounts"), or None.
    long: str | None = None
    # It changes the rows of a table in use, not in bounded batches.
    data_change: bool = False
    # Relations it touches that the migration created and did not fill: nobody uses them.
    fresh: tuple[str, ...] = ()

    @property
    def exclusive_tables(self) -> tuple[str, ...]:
        """In-use tables it locks ACCESS EXCLUSIVE for itself (not their indexes)."""
        return tuple(
            dict.fromkeys(
                lock.relation
                for lock in self.blocking
                if lock.mode is LockMode.ACCESS_EXCLUSIVE
                and lock.role in ROOT_ROLES
                and lock.kind in _TABLE_KINDS
            )
        )


NO_FACTS = StatementFacts()


def facts(statement: Statement, prediction: Prediction, catalog: Catalog) -> StatementFacts:
    """Decide a statement's facts; call it before the catalog follows the statement."""
    blocking = tuple(
        lock
        for lock in prediction.locks
        if not lock.blocks_nobody
        and _blocks_traffic(lock)
        and in_use(catalog, lock.table or lock.relation)
    )
    fresh = tuple(
        dict.fromkeys(
            [lock.relation for lock in prediction.locks if lock.blocks_nobody]
            + [r for r in prediction.rewrites if not in_use(catalog, r)]
            + [lock.relation for lock in prediction.locks if not in_use(catalog, lock.relation)]
        )
    )
    return StatementFacts(
        blocking,
        _long_reason(statement, prediction, catalog),
        _data_change(statement, catalog),
        fresh,
    )


def _blocks_traffic(lock: LockOnRelation) -> bool:
    if lock.kind is RelKind.MATERIALIZED_VIEW:
        return lock.mode.blocks_reads  # nobody writes to a materialized view
    return lock.mode.blocks_reads or lock.mode.blocks_writes


def _long_reason(statement: Statement, prediction: Prediction, catalog: Catalog) -> str | None:
    target = data_change_target(statement.node)
    if target is not None:
        # A data change is long when it is not batched, whatever the rows it reads.
        if not _data_change(statement, catalog):
            return None
        return f"changes the rows of {display(catalog.rangevar(target))} in one statement"
    # A sequence's new file is a few bytes: not a long operation.
    if any(row in _QUICK for row in prediction.rows):
        return None
    sequences = {lock.relation for lock in prediction.locks if lock.kind is RelKind.SEQUENCE}
    rewritten = [r for r in prediction.rewrites if in_use(catalog, r) and r not in sequences]
    if rewritten:
        return f"rewrites {display(rewritten[0])}"
    scanned = [
        r for r in prediction.scans if in_use(catalog, r) and not _proven(statement, r, catalog)
    ]
    if scanned:
        building = (
            Row.CREATE_INDEX in prediction.rows or Row.ALTER_TABLE__ADD_UNIQUE in prediction.rows
        )
        return f"{'builds an index on' if building else 'scans'} {display(scanned[0])}"
    return None


# Rows whose "rewrite" is new, empty files: quick whatever the table's size.
_QUICK = frozenset({Row.TRUNCATE, Row.TRUNCATE__CASCADE})


def _proven(statement: Statement, relation: str, catalog: Catalog) -> bool:
    """ATTACH PARTITION skips the scan of a partition a valid CHECK constraint proves."""
    if not isinstance(statement.node, ast.AlterTableStmt):
        return False
    table = catalog.table(relation)
    attaching = any(
        cmd.subtype == AlterTableType.AT_AttachPartition for cmd in statement.node.cmds or ()
    )
    return attaching and table is not None and table.parent is None and table.has_valid_check()


def _data_change(statement: Statement, catalog: Catalog) -> bool:
    target = data_change_target(statement.node)
    if target is None or not is_unbatched(statement.node):
        return False
    return in_use(catalog, catalog.rangevar(target))


@dataclass(frozen=True)
class Timeout:
    """A timeout setting in force, and the line that set it."""

    value_ms: float
    line: int
    local: bool = False


@dataclass(frozen=True)
class Step:
    index: int  # of its StatementReport in the run
    report: StatementReport
    facts: StatementFacts
    lock_timeout: Timeout | None = None  # in force when it runs
    statement_timeout: Timeout | None = None

    @property
    def statement(self) -> Statement:
        return self.report.statement

    @property
    def line(self) -> int:
        return self.statement.location.line

    def is_transaction_control(self, *kinds: TransactionStmtKind) -> bool:
        node = self.statement.node
        return isinstance(node, ast.TransactionStmt) and node.kind in kinds


@dataclass(frozen=True)
class TransactionRun:
    """The statements of one transaction; for autocommit statements, all those of a file."""

    scope: TxScope
    steps: tuple[Step, ...]

    @property
    def work(self) -> tuple[Step, ...]:
        """Its statements without BEGIN / COMMIT / ROLLBACK."""
        return tuple(s for s in self.steps if not isinstance(s.statement.node, ast.TransactionStmt))


@dataclass(frozen=True)
class FileRun:
    file: str
    steps: tuple[Step, ...]
    transactions: tuple[TransactionRun, ...]
    settings: RuleSettings = field(default_factory=RuleSettings)


def file_runs(
    reports: Sequence[StatementReport],
    statement_facts: Sequence[StatementFacts],
    settings: RuleSettings,
) -> list[FileRun]:
    by_file: dict[str, list[int]] = {}
    for i, report in enumerate(reports):
        by_file.setdefault(report.statement.location.file, []).append(i)
    runs = []
    for file, indexes in by_file.items():
        steps = _with_timeouts(
            [
                Step(i, reports[i], statement_facts[i] if i < len(statement_facts) else NO_FACTS)
                for i in indexes
            ]
        )
        runs.append(FileRun(file, tuple(steps), _transactions(steps), settings))
    return runs


def _with_timeouts(steps: list[Step]) -> list[Step]:
    """Follow SET / RESET / set_config through a file, as one session runs it."""
    session: dict[str, Timeout | None] = {}
    local: dict[str, Timeout | None] = {}
    block: object = None
    out = []
    for step in steps:
        transaction = step.statement.transaction
        if transaction.block != block:
            local, block = {}, transaction.block
        in_force = {**session, **local}
        out.append(
            Step(
                step.index,
                step.report,
                step.facts,
                in_force.get("lock_timeout"),
                in_force.get("statement_timeout"),
            )
        )
        for change in setting_changes(step.statement.node):
            if change.local and transaction.scope is TxScope.AUTOCOMMIT:
                continue  # SET LOCAL outside a transaction block does nothing
            value = (
                Timeout(change.value_ms, step.line, change.local)
                if change.value_ms is not None
                else None
            )
            names = (
                ("lock_timeout", "statement_timeout") if change.name == "all" else (change.name,)
            )
            for name in names:
                if change.local:
                    local[name] = value
                else:
                    session[name] = value
                    local.pop(name, None)
        if step.is_transaction_control(*TRANSACTION_ENDS):
            local, block = {}, None
    return out


TRANSACTION_ENDS = (
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
)


def _transactions(steps: list[Step]) -> tuple[TransactionRun, ...]:
    autocommit = [s for s in steps if s.statement.transaction.scope is TxScope.AUTOCOMMIT]
    blocks: dict[int, list[Step]] = {}
    for step in steps:
        block = step.statement.transaction.block
        if block is not None:
            blocks.setdefault(block, []).append(step)
    runs = [TransactionRun(b[0].statement.transaction.scope, tuple(b)) for b in blocks.values()]
    if autocommit:
        runs.append(TransactionRun(TxScope.AUTOCOMMIT, tuple(autocommit)))
    return tuple(sorted(runs, key=lambda r: r.steps[0].index))
