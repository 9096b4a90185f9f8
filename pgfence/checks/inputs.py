"""The checks on the input itself: a statement that does not parse, one pgfence cannot
read, a skipped psql meta-command, an ignore comment that silences nothing."""

from __future__ import annotations

from pgfence.checks.base import Check, Scope, register
from pgfence.model import Severity


@register
class ParseError(Check):
    """A statement that Postgres's parser rejects.

    ## What it does
    Reports a statement that does not parse, with the parser's message and position.
    The rest of the file is still analysed.

    ## Why is this bad?
    Postgres will refuse the statement, and with it the rest of the migration.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN;
    ```

    ## Use instead
    Fix the statement; `psql -f` or your migration tool will show the same error.
    """

    id = "parse-error"
    severity = Severity.CRITICAL
    summary = "a statement does not parse: Postgres will refuse it"
    scope = Scope.INPUT


@register
class Unanalysable(Check):
    """A statement whose locks pgfence cannot tell.

    ## What it does
    Reports statements pgfence cannot predict: SQL built at run time (`EXECUTE` in a
    `DO` block), procedure calls, a DO block in a language other than PL/pgSQL.

    ## Why is this bad?
    Nothing is known about what it locks, rewrites or blocks, so no rule can warn.

    ## Example
    ```sql
    DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 'accounts' || ' ADD COLUMN n int'; END $$;
    ```

    ## Use instead
    Write the statements out, or run `pgfence dryrun` to observe what it really does.
    """

    id = "unanalysable"
    severity = Severity.MEDIUM
    summary = "pgfence cannot tell what this statement locks"
    scope = Scope.INPUT


@register
class PsqlMetaCommand(Check):
    """A psql meta-command in a SQL file.

    ## What it does
    Lists backslash commands (`\\set`, `\\connect`, `\\i`) that pgfence skips.

    ## Why is this bad?
    They are not SQL: pgfence does not run or follow them, so what they do is not
    analysed (an included file, a change of database).

    ## Example
    ```sql
    \\i other_migration.sql
    ```

    ## Use instead
    Pass included files to pgfence as well.
    """

    id = "psql-meta-command"
    severity = Severity.INFO
    summary = "a psql meta-command was skipped"
    scope = Scope.INPUT


@register
class UnusedIgnore(Check):
    """An ignore comment that silences nothing.

    ## What it does
    Reports a `-- pgfence-ignore: rule` comment on a statement where that rule did not
    fire, a `-- pgfence-ignore-file: rule` comment in a file where it never fired, and
    ignore comments naming a check that does not exist.

    ## Why is this bad?
    A stale ignore hides the next real finding of that rule on the statement, and a
    misspelt one silences nothing while looking as if it did.

    ## Example
    ```sql
    -- pgfence-ignore: create-index-blocks-writes
    CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);
    ```

    ## Use instead
    Remove the comment, or correct the rule id (`pgfence rules` lists them).
    """

    id = "unused-ignore"
    severity = Severity.LOW
    summary = "an ignore comment matches no finding"
    scope = Scope.INPUT
