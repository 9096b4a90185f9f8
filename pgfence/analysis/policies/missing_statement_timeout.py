"""missing-statement-timeout"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.policies._base import Policy, timeout_statement, where_to_set
from pgfence.analysis.policy import FileRun, Step
from pgfence.analysis.rule import Hit
from pgfence.checks import register
from pgfence.model import Severity


@register
class MissingStatementTimeout(Policy):
    """A long operation that blocks traffic, with nothing to bound how long.

    ## What it does
    Flags the first statement of each transaction (for statements outside `BEGIN …
    COMMIT`: of each file) that runs long on a large table — a rewrite, a full scan, an
    index build, a whole-table data change — while blocking reads or writes, when no
    `statement_timeout` is in force. Long operations that block nobody (`CREATE INDEX
    CONCURRENTLY`, `VALIDATE CONSTRAINT`, batched backfills) are not reported, nor are
    statements a rule already reports as critical (a timeout is not their fix).

    ## Why is this bad?
    How long the table stays blocked grows with its size, which is often much larger in
    production than anywhere the migration was tried. A `statement_timeout` caps the
    outage: the statement is cancelled and rolled back instead of blocking for an hour.

    ## Example
    ```sql
    SET lock_timeout = '2s';
    ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
    ```

    ## Use instead
    ```sql
    SET lock_timeout = '2s';
    SET statement_timeout = '5min';
    ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
    ```
    or, better, the online recipe of the statement's own finding.
    """

    id = "missing-statement-timeout"
    severity = Severity.LOW
    summary = "a long operation that blocks traffic runs without a statement_timeout"
    example_schema = "CREATE TABLE accounts (id int PRIMARY KEY);"
    example_bad = "SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN id TYPE bigint;"
    example_good = (
        "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;"
    )

    def check(self, run: FileRun) -> Iterator[tuple[Step, Hit]]:
        for tx in run.transactions:
            for step in tx.work:
                facts = step.facts
                if facts.long is None or not (facts.blocking or facts.data_change):
                    continue
                if any(f.severity >= Severity.CRITICAL for f in step.report.findings):
                    continue  # it fails or loses data: a timeout is not the fix
                timeout = step.statement_timeout
                if timeout is not None and timeout.value_ms > 0:
                    continue
                unset = (
                    f"statement_timeout is 0 (line {timeout.line})"
                    if timeout is not None
                    else "no statement_timeout is set"
                )
                yield (
                    step,
                    Hit(
                        f"this statement {facts.long} and {unset}: on a large table nothing "
                        "bounds how long it holds its locks",
                        recipe=(
                            f"{where_to_set(tx)}\n"
                            f"{timeout_statement(tx, 'statement_timeout', '5min')}",
                        ),
                    ),
                )
                break
