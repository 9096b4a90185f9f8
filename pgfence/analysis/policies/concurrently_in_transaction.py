"""concurrently-in-transaction"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import Policy, sql_of
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit
from pgfence.checks import register
from pgfence.model import Severity, TxScope
from pgfence.pg.transactions import runs_in_transaction


@register
class ConcurrentlyInTransaction(Policy):
    """A statement that Postgres refuses inside a transaction block, inside one.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX …
    CONCURRENTLY`, `DETACH PARTITION … CONCURRENTLY`, `VACUUM`, `CREATE DATABASE` and the
    like when they sit inside `BEGIN … COMMIT`, or in a file that the migration tool
    wraps in a transaction.

    ## Why is this bad?
    Postgres refuses them (ERROR 25001: cannot run inside a transaction block): the
    migration fails, and everything before it in the transaction is rolled back.

    ## Example
    ```sql
    BEGIN;
    CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
    COMMIT;
    ```

    ## Use instead
    Run the statement on its own, outside any transaction: a migration file of its own
    that the tool runs without a transaction.
    """

    id = "concurrently-in-transaction"
    severity = Severity.CRITICAL
    summary = "CONCURRENTLY (or VACUUM …) inside a transaction block: Postgres refuses it"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = (
        "BEGIN;\nCREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\nCOMMIT;\n"
    )
    example_good = "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for step in run.steps:
            stmt = step.statement
            if stmt.transaction.scope is TxScope.AUTOCOMMIT:
                continue
            if step.report.prediction.transactional and runs_in_transaction(stmt.node):
                continue
            where = (
                "inside BEGIN … COMMIT"
                if stmt.transaction.scope is TxScope.EXPLICIT
                else "inside the transaction the migration tool wraps around this file"
            )
            yield (
                step,
                Hit(
                    f"this statement cannot run in a transaction block and is {where}: Postgres "
                    "will refuse it (ERROR 25001). Run it on its own, outside any transaction.",
                    recipe=(
                        "-- in a migration of its own, which the tool runs without a "
                        f"transaction:\n{sql_of(step)}",
                    ),
                ),
            )
