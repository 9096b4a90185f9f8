"""The dry-run's checks: what a real server did. Declared here, with the other checks,
so that every command knows their ids (an ignore comment naming one is not unknown to
`analyze`); `dryrun/findings.py` raises them from the observations.
"""

from __future__ import annotations

from pgfence.checks.base import Check, Scope, register
from pgfence.model import Severity


class DryRunCheck(Check):
    scope = Scope.DRY_RUN


@register
class StatementFailed(DryRunCheck):
    """A statement that fails on a real server.

    ## What it does
    Reports the error a statement raised in the dry-run (a duplicate key while building
    a unique index, a NOT NULL column added to a table with rows, a missing object), with
    Postgres's message and, when it gives one, the position in the file.

    ## Why is this bad?
    The migration will fail in production the same way, and the statements after it in
    the file do not run.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN plan text NOT NULL;  -- accounts has rows
    ```

    ## Use instead
    Fix the statement; the message says what Postgres objected to.
    """

    id = "statement-failed"
    severity = Severity.CRITICAL
    summary = "the statement fails on a real server"


@register
class RefusedStatement(DryRunCheck):
    """A statement pgfence would not send, because the server would read it otherwise.

    ## What it does
    Reports a statement whose text Postgres would not read as the one statement pgfence
    read: where pgfence's split and Postgres's parser disagree, where a string holds a
    backslash while `standard_conforming_strings` is off (pglast reads strings only the
    standard way), or where the server itself refused a text of several statements.
    Nothing of it runs; on `--dsn` the run goes on inside its one transaction.

    ## Why is this bad?
    Whatever pgfence says of such a statement is a guess: the server could run more than
    was analysed (a hidden `COMMIT`, a table rewrite) or something else entirely.

    ## Example
    ```sql
    SET standard_conforming_strings = off;
    SELECT 'it\'s'; ALTER TABLE accounts ALTER COLUMN id TYPE bigint; SELECT '';
    ```

    ## Use instead
    Keep `standard_conforming_strings` on and write `E'it\'s'` or `'it''s'`.
    """

    id = "refused-statement"
    severity = Severity.CRITICAL
    summary = "the server would read the statement otherwise than pgfence: not sent"


@register
class TransactionLost(DryRunCheck):
    """A statement after which the transaction pgfence opened was no longer open.

    ## What it does
    After every statement pgfence checks the session's transaction status (the status
    byte of the server's ReadyForQuery): inside the migration's transaction, and on
    `--dsn` inside the one transaction pgfence opened, it must still be open. If it is
    not, the run stops at once and this finding is reported.

    ## Why is this bad?
    On an existing server something may have been committed; on a throwaway one, the
    dry-run no longer runs the migration the way the migration tool would.

    ## Example
    ```sql
    -- a statement that ended its own transaction in a way pgfence did not foresee
    ```

    ## Use instead
    Report the statement to pgfence: the extended protocol and the split are meant to
    make this impossible.
    """

    id = "transaction-lost"
    severity = Severity.CRITICAL
    summary = "the transaction pgfence opened was gone after the statement: the run stopped"


@register
class StatementTimeout(DryRunCheck):
    """A statement that did not finish within the dry-run's --statement-timeout.

    ## What it does
    Reports a statement the dry-run cancelled after `--statement-timeout` (60 s by
    default).

    ## Why is this bad?
    On the dry-run's copy of the schema and data it already runs for that long; in
    production, with more data and traffic, it will take longer, holding its locks.

    ## Example
    ```sql
    UPDATE events SET payload = payload || '{}';  -- a very large table
    ```

    ## Use instead
    Batch the work, or use the online recipe of the statement's own finding.
    """

    id = "statement-timeout"
    severity = Severity.CRITICAL
    summary = "the statement did not finish within --statement-timeout"


@register
class LockTimeout(DryRunCheck):
    """A statement that gave up waiting for a lock on an existing server.

    ## What it does
    With `--dsn`, reports a statement that hit the dry-run's `--lock-timeout` because the
    server's own traffic held a conflicting lock.

    ## Why is this bad?
    In production the migration would wait just the same, and every query on the table
    would queue behind it.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN note text;  -- while a long report reads accounts
    ```

    ## Use instead
    `SET lock_timeout = '2s'` in the migration, and retry it at a quieter moment.
    """

    id = "lock-timeout"
    severity = Severity.HIGH
    summary = "waited for a lock held by the server's traffic, and gave up"


@register
class UnderPredictedLock(DryRunCheck):
    """A statement that took a stronger lock, or blocked more, than pgfence predicted.

    ## What it does
    Compares the locks the server granted, and the reads and writes a probe session
    found blocked, with the static prediction, and reports what the prediction missed.

    ## Why is this bad?
    The static analysis (and every rule that relies on it) under-estimated the danger of
    this statement: what it really blocks is listed in the message. It also fails the run.

    ## Example
    ```sql
    CALL rebuild_accounts();  -- a procedure whose locks no one can see statically
    ```

    ## Use instead
    Treat the statement by what it really takes (the message lists it), and report the
    case to pgfence so the lock table can be corrected.
    """

    id = "under-predicted-lock"
    severity = Severity.HIGH
    summary = "the server took a stronger lock, or blocked more, than predicted"


@register
class ObservedRewrite(DryRunCheck):
    """A table rewritten on the real server though the prediction said it would not be.

    ## What it does
    Compares each relation's file node before and after the statement; a new file node
    for a table in use that the prediction did not expect is reported.

    ## Why is this bad?
    A rewrite copies the whole table and rebuilds its indexes under ACCESS EXCLUSIVE:
    reads and writes wait for a time that grows with the table's size.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN code TYPE my_domain;  -- a type pgfence cannot see
    ```

    ## Use instead
    The online path for the kind of change: a new column, backfilled in batches.
    """

    id = "observed-rewrite"
    severity = Severity.HIGH
    summary = "the server rewrote a table in use that the prediction did not expect"


@register
class MeasuredBlocking(DryRunCheck):
    """A statement that blocked reads or writes for a long time in the dry-run.

    ## What it does
    Reports a statement during which a probe session could not read or write a table in
    use, when the statement ran for longer than the long-lock threshold (1 s).

    ## Why is this bad?
    That is how long the application would have waited, on the dry-run's data; production
    usually has more.

    ## Example
    ```sql
    CREATE INDEX events_created_idx ON events (created_at);  -- events has many rows
    ```

    ## Use instead
    The online recipe of the statement's own finding.
    """

    id = "measured-blocking"
    severity = Severity.HIGH
    summary = "reads or writes were measured blocked for longer than 1 s"


@register
class WaitedForLock(DryRunCheck):
    """A statement that had to wait for a lock another session held.

    ## What it does
    Reports a statement that queued for a lock during the dry-run (on an existing
    server: behind the server's own traffic), and a concurrent build's wait for a
    transaction older than it. A wait for pgfence's own sessions (it holds an older
    transaction open for a moment to show that phase) is a note on the row, not this
    finding: pgfence's safe recipe is not flagged for what pgfence did.

    ## Why is this bad?
    While a statement queues, every later query its lock conflicts with queues behind it.
    A concurrent build waits for every older transaction: on a busy server as long as the
    longest of them, holding SHARE UPDATE EXCLUSIVE, so other DDL, VACUUM and ANALYZE of
    the table wait meanwhile.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN note text;  -- while a transaction reads accounts
    ```

    ## Use instead
    A `lock_timeout`, retries, and a quieter moment.
    """

    id = "waited-for-lock"
    severity = Severity.MEDIUM
    summary = "the statement queued for a lock another session held"


@register
class LockHeldLong(DryRunCheck):
    """A lock that blocks traffic, held across the rest of a long transaction.

    ## What it does
    In a transaction of several statements, measures how long each statement's locks
    were held (from the statement to COMMIT) and reports a lock that blocks reads or
    writes of a table in use held for longer than the long-lock threshold (1 s).

    ## Why is this bad?
    The statement may be instant, but its lock is released only at COMMIT: the table is
    blocked for as long as the rest of the transaction runs.

    ## Example
    ```sql
    BEGIN;
    ALTER TABLE accounts ADD COLUMN plan text;
    UPDATE accounts SET plan = 'free';  -- slow
    COMMIT;
    ```

    ## Use instead
    Commit right after the statement that takes the lock; run slow work in transactions
    of its own.
    """

    id = "lock-held-long"
    severity = Severity.HIGH
    summary = "a blocking lock was held for longer than 1 s until the transaction ended"


@register
class InvalidIndexLeft(DryRunCheck):
    """A concurrent index build that failed and left an INVALID index behind.

    ## What it does
    After a `CREATE INDEX CONCURRENTLY` or `REINDEX … CONCURRENTLY` fails in the
    dry-run, looks for indexes of its table marked invalid (`pg_index.indisvalid`).

    ## Why is this bad?
    A failed concurrent build does not roll back: the invalid index stays, slows every
    write (it is still maintained) and is never used by queries. Re-running the migration
    with `IF NOT EXISTS` silently keeps the broken index.

    ## Example
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);  -- duplicates
    ```

    ## Use instead
    Fix the cause (deduplicate), drop the invalid index, build again:
    ```sql
    DROP INDEX CONCURRENTLY IF EXISTS accounts_email_key;
    CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);
    ```
    """

    id = "invalid-index-left"
    severity = Severity.HIGH
    summary = "a failed concurrent index build left an INVALID index behind"
