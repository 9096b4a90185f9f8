"""missing-lock-timeout"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import (
    Policy,
    blocked_traffic,
    lock_phrase,
    strongest,
    timeout_statement,
    where_to_set,
)
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit, display
from pgfence.analysis.statements import setting_changes
from pgfence.checks import register
from pgfence.model import Severity, TxScope


@register
class MissingLockTimeout(Policy):
    """A lock that blocks reads or writes, requested without a lock_timeout.

    ## What it does
    Flags the first statement of each transaction (for statements outside `BEGIN …
    COMMIT`: of each file) whose lock blocks reads or writes of a table in use, when no
    `lock_timeout` is in force: not set, set to 0, set only after the statement, or set
    with `SET LOCAL` outside a transaction (where it does nothing). Migrations that take
    no such lock (a new table, `CREATE INDEX CONCURRENTLY`) are not reported, nor are the
    brief final locks of `DROP INDEX` / `DETACH PARTITION … CONCURRENTLY`: timing those out
    half-way leaves an invalid index or a pending detach behind.

    ## Why is this bad?
    Even an instant `ALTER TABLE` must wait for every transaction that has touched the
    table to finish. While it waits, its lock request sits in the queue, and every
    later query on the table queues behind it: one slow report query plus one
    migration is an outage. A `lock_timeout` makes the migration give up instead, so it
    can be retried at a quieter moment.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN note text;
    ```

    ## Use instead
    ```sql
    SET lock_timeout = '2s';
    ALTER TABLE accounts ADD COLUMN note text;
    ```
    and retry the migration when it times out.
    """

    id = "missing-lock-timeout"
    severity = Severity.MEDIUM
    summary = "a lock that blocks reads or writes is requested without a lock_timeout"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "ALTER TABLE accounts ADD COLUMN note text;"
    example_good = "SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;"

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for tx in run.transactions:
            offenders = [
                s
                for s in tx.work
                if s.facts.blocking
                and _timeout_helps(s)
                and (s.lock_timeout is None or s.lock_timeout.value_ms == 0)
            ]
            if not offenders:
                continue
            first = offenders[0]
            lock = strongest(first.facts.blocking)
            table = display(lock.table or lock.relation)
            message = (
                f"{lock_phrase(lock)} is requested {_why_unset(first, run)}: if any "
                f"transaction is using {table}, this statement waits for it, and "
                f"{blocked_traffic(lock)} queues behind it"
            )
            if tx.scope is TxScope.AUTOCOMMIT and len(offenders) > 1:
                lines = ", ".join(str(s.line) for s in offenders[1:])
                message += f" (the same at line{'s' if len(offenders) > 2 else ''} {lines})"
            yield (
                first,
                Hit(
                    message,
                    recipe=(
                        f"{where_to_set(tx)}\n{timeout_statement(tx, 'lock_timeout', '2s')}",
                        "-- and retry the migration when it fails with "
                        "'canceling statement due to lock timeout'",
                    ),
                ),
            )


def _timeout_helps(step: Step) -> bool:
    # A CONCURRENTLY statement that times out half-way leaves an INVALID index or a
    # partition pending detach behind: a lock_timeout would do more harm than good.
    return step.report.prediction.transactional


def _why_unset(step: Step, run: FileRun) -> str:
    if step.lock_timeout is not None and step.lock_timeout.value_ms == 0:
        return f"with lock_timeout = 0 (line {step.lock_timeout.line}), which turns it off"
    for later in run.steps:
        if later.index <= step.index:
            continue
        for change in setting_changes(later.statement.node):
            if change.name == "lock_timeout" and change.value_ms:
                return f"before lock_timeout is set (line {later.line}, too late)"
    for earlier in run.steps:
        if earlier.index >= step.index:
            break
        if earlier.statement.transaction.scope is TxScope.AUTOCOMMIT and any(
            c.name == "lock_timeout" and c.local for c in setting_changes(earlier.statement.node)
        ):
            return (
                f"without a lock_timeout (SET LOCAL at line {earlier.line} is outside a "
                "transaction and does nothing)"
            )
    return "without a lock_timeout"
