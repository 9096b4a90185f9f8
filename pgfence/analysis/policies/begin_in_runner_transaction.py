"""begin-in-runner-transaction"""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import TransactionStmtKind

from pgfence.analysis.policies._base import Policy
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit
from pgfence.checks import register
from pgfence.model import Severity, TxScope


@register
class BeginInRunnerTransaction(Policy):
    """BEGIN in a file that the migration tool already runs in a transaction.

    ## What it does
    Flags `BEGIN` / `START TRANSACTION` in a migration whose tool wraps each file in a
    transaction of its own (Flyway, Prisma, and others by default).

    ## Why is this bad?
    Postgres ignores the nested `BEGIN` with a warning, but the file's `COMMIT` ends the
    tool's transaction early: what follows runs outside it, and a failure later in the
    file can no longer be rolled back with the rest.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN note text;
    COMMIT;
    ```
    (in a file the tool runs in a transaction)

    ## Use instead
    Leave transaction control to the tool: drop `BEGIN` and `COMMIT` from the file.
    """

    id = "begin-in-runner-transaction"
    severity = Severity.MEDIUM
    summary = "BEGIN inside a file the migration tool already wraps in a transaction"
    example_in_runner_transaction = True
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    example_bad = (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"
        "COMMIT;\n"
    )
    example_good = "SET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN note text;\n"

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for step in run.steps:
            if step.statement.transaction.scope is TxScope.RUNNER and step.is_transaction_control(
                TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START
            ):
                yield (
                    step,
                    Hit(
                        "the migration tool already runs this file in a transaction: this BEGIN "
                        "only draws a warning, and the COMMIT that follows ends the tool's "
                        "transaction early",
                        recipe=("-- remove BEGIN and COMMIT from the file; the tool commits it",),
                    ),
                )
