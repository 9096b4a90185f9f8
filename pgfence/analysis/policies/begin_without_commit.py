"""begin-without-commit"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import Policy
from pgfence.analysis.policy import TRANSACTION_ENDS, FileRun, Step
from pgfence.analysis.rule import Hit
from pgfence.checks import register
from pgfence.model import Severity, TxScope


@register
class BeginWithoutCommit(Policy):
    """A transaction opened in the file and never closed.

    ## What it does
    Flags a `BEGIN` (or `START TRANSACTION`) with no `COMMIT` or `ROLLBACK` after it in
    the same file.

    ## Why is this bad?
    What happens depends on the tool: psql rolls the whole transaction back when the
    file ends, so the migration silently does nothing; a tool that keeps the session
    open holds every lock taken since `BEGIN` until something ends the session.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN note text;
    ```

    ## Use instead
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN note text;
    COMMIT;
    ```
    """

    id = "begin-without-commit"
    severity = Severity.HIGH
    summary = "BEGIN without COMMIT: rolled back at the end of the file, or locks left held"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"
    )
    example_good = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"
        "COMMIT;\n"
    )

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for tx in run.transactions:
            if tx.scope is not TxScope.EXPLICIT:
                continue
            if any(step.is_transaction_control(*TRANSACTION_ENDS) for step in tx.steps):
                continue
            begin = tx.steps[0]
            yield (
                begin,
                Hit(
                    f"the transaction opened at line {begin.line} is never committed: psql rolls "
                    "it back when the file ends, and a tool that keeps the session open keeps "
                    "its locks",
                    recipe=("-- at the end of the file:\nCOMMIT;",),
                ),
            )
