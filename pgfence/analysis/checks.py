"""Every check pgfence can report, in one registry: rules, policies, dry-run checks.

A check is a class with an id, a severity, a one-line summary and a docstring in four
parts (What it does / Why is this bad? / Example / Use instead). Rules look at one
statement (analysis/rules/), policies at how statements share transactions
(analysis/policies/), dry-run checks at what a real server did (dryrun/findings.py), and
the built-in checks below at the input itself. `pgfence rules`, `pgfence explain` and
docs/rules.md are all made from this registry.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from enum import StrEnum
from functools import cache
from typing import ClassVar, TypeVar

from pgfence.analysis.locktable import NEWEST
from pgfence.model import Severity


class Scope(StrEnum):
    """What a check looks at."""

    STATEMENT = "statement"  # one statement and the schema before it
    TRANSACTION = "transaction"  # the statements of a transaction or a file, in order
    DRY_RUN = "dry-run"  # what a real server did
    INPUT = "input"  # the migration file itself


class Check:
    id: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    scope: ClassVar[Scope] = Scope.STATEMENT
    # SQL that sets up the schema both examples run against.
    example_schema: ClassVar[str] = ""
    example_bad: ClassVar[str] = ""
    example_good: ClassVar[str] = ""
    # The examples run inside a transaction the migration tool wraps around the file.
    example_in_runner_transaction: ClassVar[bool] = False
    # The Postgres major the examples are analysed for.
    example_version: ClassVar[int] = NEWEST

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @property
    def tested_by_examples(self) -> bool:
        """Can the examples be checked without a server (statement and transaction checks)?"""
        return self.scope in (Scope.STATEMENT, Scope.TRANSACTION) and bool(self.example_bad)


_REGISTERED: dict[str, Check] = {}

C = TypeVar("C", bound=type[Check])


def register(cls: C) -> C:
    """Class decorator: make a check known to pgfence (ids are unique across all kinds)."""
    if cls.id in _REGISTERED and type(_REGISTERED[cls.id]) is not cls:
        raise RuntimeError(f"two checks share the id {cls.id}")
    _REGISTERED[cls.id] = cls()
    return cls


def _import_package(name: str) -> None:
    package = importlib.import_module(name)
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{name}.{module.name}")


@cache
def all_checks() -> dict[str, Check]:
    """Every check, by id."""
    _import_package("pgfence.analysis.rules")
    _import_package("pgfence.analysis.policies")
    importlib.import_module("pgfence.dryrun.findings")
    return dict(sorted(_REGISTERED.items()))


# ---- the checks on the input itself ---------------------------------------------------------


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


# ---- what the migration formats report about their files (sources/formats/) -----------------


@register
class FlywayMixedTransaction(Check):
    """A Flyway script that mixes transactional and non-transactional statements.

    ## What it does
    Flags a Flyway SQL migration holding a statement that cannot run in a transaction
    (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …) next to ordinary statements.

    ## Why is this bad?
    Flyway refuses such a script unless `mixed=true`; with it, every statement of the
    script runs without a transaction, so a failure half-way leaves it half-applied.

    ## Example
    ```sql
    ALTER TABLE accounts ADD COLUMN email text;
    CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
    ```

    ## Use instead
    Move the non-transactional statement to a script of its own.
    """

    id = "flyway-mixed-transaction"
    severity = Severity.HIGH
    summary = "a Flyway script mixes statements that cannot share a transaction"
    scope = Scope.INPUT


class _FormatNote(Check):
    severity = Severity.INFO
    scope = Scope.INPUT


@register
class FlywayPlaceholder(_FormatNote):
    """Flyway placeholders replaced so that the SQL parses.

    ## What it does
    Notes that `${placeholder}`s of a Flyway script were replaced by identifiers
    (`${name}` -> `__name_`) before analysis.

    ## Why is this bad?
    The analysis sees a stand-in, not the value Flyway substitutes: a placeholder that
    names a table is analysed as a table pgfence does not know.

    ## Example
    ```sql
    ALTER TABLE ${schema}.accounts ADD COLUMN note text;
    ```

    ## Use instead
    Write the values down where Flyway reads them too (`flyway.placeholders.NAME=…` in
    flyway.conf, `[flyway.placeholders]` in flyway.toml, or `FLYWAY_PLACEHOLDERS_NAME`):
    pgfence then substitutes them as Flyway does.
    """

    id = "flyway-placeholder"
    summary = "Flyway placeholders without a value were replaced by identifiers"


@register
class ExtractionCoverage(_FormatNote):
    """How many calls of an ORM migration were turned into SQL.

    ## What it does
    For migrations written with an ORM's builder (Alembic, Django, Knex, TypeORM,
    Sequelize), counts the migration calls pgfence translated into the SQL the tool emits.

    ## Why is this bad?
    The calls it could not translate are not analysed (each is reported as
    `unanalysable`).

    ## Example
    ```python
    op.execute(build_statement())  # SQL made at run time
    ```

    ## Use instead
    Write the SQL out, or dry-run the migration to observe what it really does.
    """

    id = "extraction-coverage"
    summary = "some calls of an ORM migration could not be turned into SQL"


@register
class EmptySql(_FormatNote):
    """A migration call that sends no SQL.

    ## What it does
    Notes an ORM migration call that pgfence translated to no statement at all.

    ## Why is this bad?
    Usually nothing: the call changes only the ORM's state. It is listed so that a call
    that should have done something is noticed.

    ## Example
    ```python
    migrations.AlterModelOptions(name="account", options={"ordering": ["id"]})
    ```

    ## Use instead
    Nothing to change.
    """

    id = "empty-sql"
    summary = "a migration call sends no SQL"


@register
class DjangoAssumption(_FormatNote):
    """An assumption made to translate a Django operation.

    ## What it does
    Notes what pgfence assumed to turn a Django migration operation into SQL (a field's
    type from a model it could not see, a default name).

    ## Why is this bad?
    If the assumption is wrong, so may be the analysis of that operation.

    ## Example
    ```python
    migrations.AddField("account", "plan", CustomField())
    ```

    ## Use instead
    Check the SQL with `python manage.py sqlmigrate`, or dry-run the migration.
    """

    id = "django-assumption"
    summary = "an assumption made to translate a Django operation into SQL"


@register
class NotInJournal(_FormatNote):
    """A Drizzle migration file its journal does not list.

    ## What it does
    Notes a SQL file in a Drizzle migrations folder that `meta/_journal.json` does not
    list.

    ## Why is this bad?
    Drizzle's migrator never applies it: it is either dead or missing from the journal.

    ## Example
    ```text
    drizzle/0007_manual_fix.sql  (not in meta/_journal.json)
    ```

    ## Use instead
    Add it to the journal (generate it with drizzle-kit) or delete it.
    """

    id = "not-in-journal"
    summary = "a Drizzle migration file the journal does not list is never applied"


@register
class SqitchMissingScript(_FormatNote):
    """A Sqitch plan entry without its deploy script.

    ## What it does
    Notes a change in `sqitch.plan` whose `deploy/` script does not exist.

    ## Why is this bad?
    `sqitch deploy` fails on it.

    ## Example
    ```text
    add_accounts 2024-01-01T00:00:00Z dev <dev@example.com>  (no deploy/add_accounts.sql)
    ```

    ## Use instead
    Add the script, or remove the change from the plan.
    """

    id = "sqitch-missing-script"
    summary = "a Sqitch plan change has no deploy script"


@register
class TypeormTransactionFalse(_FormatNote):
    """A TypeORM migration that opts out of the transaction.

    ## What it does
    Notes a TypeORM migration with `transaction = false`.

    ## Why is this bad?
    Its statements run without a transaction, which TypeORM allows only with
    `migrationsTransactionMode` "each" or "none"; the default "all" refuses it.

    ## Example
    ```typescript
    export class AddIndex1700000000000 implements MigrationInterface {
        transaction = false;
    }
    ```

    ## Use instead
    Set `migrationsTransactionMode: "each"` where such migrations are needed.
    """

    id = "typeorm-transaction-false"
    summary = "a TypeORM migration runs without a transaction (needs transactionMode each/none)"
