"""many-exclusive-locks"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import Policy
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit, display
from pgfence.checks import register
from pgfence.model import Severity, TxScope


@register
class ManyExclusiveLocks(Policy):
    """One transaction that takes ACCESS EXCLUSIVE on several tables in use.

    ## What it does
    Flags the statement at which a transaction (`BEGIN … COMMIT`, or the one a
    migration tool wraps around a file) comes to hold ACCESS EXCLUSIVE locks on a second
    table in use.

    ## Why is this bad?
    Every lock is held until COMMIT, so the first table stays blocked while the
    transaction waits for the second: the outage window is the sum of all the waits.
    The application may take the same tables' locks in another order, and the two
    deadlock; Postgres then cancels one of them after `deadlock_timeout`.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN note text;
    ALTER TABLE orders ADD COLUMN note text;
    COMMIT;
    ```

    ## Use instead
    One table per transaction:
    ```sql
    ALTER TABLE accounts ADD COLUMN note text;
    ALTER TABLE orders ADD COLUMN note text;
    ```
    """

    id = "many-exclusive-locks"
    severity = Severity.MEDIUM
    summary = "one transaction takes ACCESS EXCLUSIVE on several tables: wide window, deadlocks"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY);"
        " CREATE TABLE orders (id bigint PRIMARY KEY);"
    )
    example_bad = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"
        "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n"
    )
    example_good = (
        "SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"
        "ALTER TABLE orders ADD COLUMN note text;\n"
    )

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for tx in run.transactions:
            if tx.scope is TxScope.AUTOCOMMIT:
                continue
            taken: dict[str, int] = {}
            for step in tx.work:
                for table in step.facts.exclusive_tables:
                    taken.setdefault(table, step.line)
                if len(taken) >= 2:
                    held = ", ".join(f"{display(t)} (line {line})" for t, line in taken.items())
                    yield (
                        step,
                        Hit(
                            f"this transaction now holds ACCESS EXCLUSIVE on {held} until "
                            "COMMIT: each table stays blocked while it waits for the next, "
                            "and locking them in another order than the application risks a "
                            "deadlock",
                            recipe=(
                                "-- one table per transaction: COMMIT after the statements "
                                f"on {display(next(iter(taken)))}, then BEGIN again",
                            ),
                        ),
                    )
                    break
