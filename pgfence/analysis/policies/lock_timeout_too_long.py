"""lock-timeout-too-long"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import Policy, lock_phrase, strongest
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit, display
from pgfence.checks import register
from pgfence.model import Severity


def _seconds(ms: float) -> str:
    return f"{ms / 1000:g} s"


@register
class LockTimeoutTooLong(Policy):
    """A lock_timeout so long that waiting for the lock is itself an outage.

    ## What it does
    Flags the first statement of a transaction whose lock blocks reads or writes of a
    table in use while the `lock_timeout` in force is longer than the ceiling (10 s by
    default).

    ## Why is this bad?
    While the migration waits for its lock, every query on the table waits behind it,
    for up to the whole `lock_timeout`. A timeout of a minute is a minute of outage
    before the migration gives up.

    ## Example
    ```sql
    SET lock_timeout = '5min';
    ALTER TABLE accounts ADD COLUMN note text;
    ```

    ## Use instead
    A few seconds, and retries:
    ```sql
    SET lock_timeout = '2s';
    ALTER TABLE accounts ADD COLUMN note text;
    ```
    """

    id = "lock-timeout-too-long"
    severity = Severity.MEDIUM
    summary = "lock_timeout above the ceiling (10 s): waiting for the lock blocks traffic that long"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = "SET lock_timeout = '5min';\nALTER TABLE accounts ADD COLUMN note text;"
    example_good = "SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;"

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        ceiling = run.settings.max_lock_timeout_ms
        for tx in run.transactions:
            for step in tx.work:
                timeout = step.lock_timeout
                if not step.facts.blocking or timeout is None or timeout.value_ms <= ceiling:
                    continue
                lock = strongest(step.facts.blocking)
                table = display(lock.table or lock.relation)
                yield (
                    step,
                    Hit(
                        f"lock_timeout is {_seconds(timeout.value_ms)} (line {timeout.line}): "
                        f"while this statement waits for {lock_phrase(lock)}, queries on {table} "
                        f"can queue behind it for that long (ceiling: {_seconds(ceiling)})",
                        recipe=(
                            f"SET {'LOCAL ' if timeout.local else ''}lock_timeout = '2s';"
                            f"  -- instead of line {timeout.line}; retry when it times out",
                        ),
                    ),
                )
                break
