"""lock-held-during-long-operation"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from pgfence.analysis.policies._base import Policy, lock_phrase, sql_of
from pgfence.analysis.policy import FileRun, Step, TransactionRun
from pgfence.analysis.rule import Hit, display
from pgfence.checks import register
from pgfence.model import LockOnRelation, Severity, TxScope
from pgfence.pg.locks import conflicts

_ENDS = (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK)


@register
class LockHeldDuringLongOperation(Policy):
    """A blocking lock kept while a later statement of its transaction runs long.

    ## What it does
    Flags a statement that runs long on a large table (a rewrite, a scan, an index
    build, a whole-table data change) when an earlier statement of the same transaction
    took a lock that blocks reads or writes of another table in use, or a stronger lock
    on the same one. Reported once per transaction.

    ## Why is this bad?
    Locks are released at COMMIT, not when the statement that took them ends. The quick
    `ALTER TABLE` at the top of the transaction keeps its table blocked for as long as
    the slow statement below it runs.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN plan text;
    UPDATE accounts SET plan = 'free';
    COMMIT;
    ```

    ## Use instead
    Commit the quick change first, then run the slow one in transactions of its own
    (for a backfill: in batches).
    """

    id = "lock-held-during-long-operation"
    severity = Severity.HIGH
    summary = "a lock that blocks traffic is held until COMMIT while a long statement runs"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'free';\nCOMMIT;\n"
    )
    example_good = (
        "SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'free' WHERE id BETWEEN 1 AND 10000;\n"
    )

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for tx in run.transactions:
            if tx.scope is TxScope.AUTOCOMMIT:
                continue
            found = _first_long_under_lock(tx)
            if found is not None:
                yield found


def _first_long_under_lock(tx: TransactionRun) -> tuple[Step, Hit] | None:
    held: list[tuple[Step, LockOnRelation]] = []
    savepoints: list[tuple[str, int]] = []  # (name, how many locks were held when made)
    work = tx.work
    for step in tx.steps:
        node = step.statement.node
        if isinstance(node, ast.TransactionStmt):
            _savepoint(node, savepoints, held)
            continue
        # validate-in-same-transaction already says this, with the constraint's name.
        said = any(f.rule == "validate-in-same-transaction" for f in step.report.findings)
        if step.facts.long is not None and not said:
            for holder, lock in held:
                if not _covered(lock, step):
                    # Looked up only for a hit: `index` compares the steps field by field.
                    return step, _hit(tx, work, work.index(step), holder, lock, step)
        held.extend((step, lock) for lock in step.facts.blocking)
    return None


def _covered(lock: LockOnRelation, step: Step) -> bool:
    """Does `step` itself block at least what `lock` blocks on the same relation?"""
    return any(
        own.relation == lock.relation and conflicts(lock.mode) <= conflicts(own.mode)
        for own in step.facts.blocking
    )


def _savepoint(
    node: ast.TransactionStmt,
    savepoints: list[tuple[str, int]],
    held: list[tuple[Step, LockOnRelation]],
) -> None:
    """ROLLBACK TO SAVEPOINT releases the locks taken since the savepoint."""
    name = node.savepoint_name or ""
    if node.kind is TransactionStmtKind.TRANS_STMT_SAVEPOINT:
        savepoints.append((name, len(held)))
        return
    names = [n for n, _ in savepoints]
    if name not in names:
        return
    at = len(names) - 1 - names[::-1].index(name)
    if node.kind is TransactionStmtKind.TRANS_STMT_ROLLBACK_TO:
        del held[savepoints[at][1] :]
        del savepoints[at + 1 :]
    elif node.kind is TransactionStmtKind.TRANS_STMT_RELEASE:
        del savepoints[at:]


def _hit(
    tx: TransactionRun,
    work: tuple[Step, ...],
    position: int,
    holder: Step,
    lock: LockOnRelation,
    step: Step,
) -> Hit:
    end = tx.steps[-1]
    closing = (
        f"{end.statement.sql.split()[0].upper()} (line {end.line})"
        if end.is_transaction_control(*_ENDS)
        else "the end of the transaction"
    )
    after = len(work) - work.index(holder) - 1
    table = display(lock.table or lock.relation)
    return Hit(
        f"{lock_phrase(lock)}, taken at line {holder.line}, is held while this statement "
        f"{step.facts.long}: {table} stays blocked until {closing}, {after} statement"
        f"{'s' if after != 1 else ''} later",
        recipe=(
            f"-- end the transaction right after line {holder.line}:\nCOMMIT;",
            f"-- then run this statement in a transaction of its own:\n{sql_of(step)}",
        ),
    )
