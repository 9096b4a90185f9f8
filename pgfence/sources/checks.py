"""What the migration formats report about their files (sources/formats/).

Declared beside the sources that raise them; `pgfence.sources` imports this module, so
they are registered whenever a source is.
"""

from __future__ import annotations

from pgfence.checks.base import Check, Scope, register
from pgfence.model import Severity


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
class NotAMigration(_FormatNote):
    """A Python or JavaScript file that no migration format claims: skipped.

    ## What it does
    Notes a `.py` file that is neither an Alembic revision nor a Django migration (or a
    JavaScript/TypeScript file that is no Knex, Sequelize or TypeORM migration) named on
    the command line, as pre-commit does with every file of a migrations folder. The
    file is skipped: it is never read as SQL.

    ## Why is this bad?
    Usually nothing: a package's `__init__.py` or a helper module lives next to the
    migrations. A migration that pgfence does not recognise is not analysed, though.

    ## Example
    ```text
    app/migrations/__init__.py  (not a migration)
    ```

    ## Use instead
    Nothing to change; for a migration that should be read, name its format with
    `--format` (or `format` in [tool.pgfence]).
    """

    id = "not-a-migration"
    summary = "a Python or JavaScript file no migration format claims is skipped"


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


@register
class TypeormAssumption(_FormatNote):
    """An assumption made to translate a TypeORM QueryRunner call.

    ## What it does
    Notes what pgfence assumed to turn a TypeORM builder call into SQL: TypeORM reads the
    live table first for some calls (`dropColumn` also drops the index, unique and check
    constraints it finds on the column; `renameTable` renames the table's constraints,
    indexes and sequences; `changeColumn` with the old column given by name compares
    with what it reads), and names the database it writes its metadata to.

    ## Why is this bad?
    pgfence never connects for a static analysis: it translates the call as if the table
    held only what the call names. If the table holds more, TypeORM sends more.

    ## Example
    ```typescript
    await queryRunner.dropColumn("user", "email");
    ```

    ## Use instead
    Write the statements with `queryRunner.query()`, or dry-run the migration.
    """

    id = "typeorm-assumption"
    summary = "an assumption made to translate a TypeORM QueryRunner call into SQL"


@register
class RunTimeValue(_FormatNote):
    """A value of a migration call known only when it runs, analysed with a placeholder.

    ## What it does
    Notes an ORM data query (UPDATE, DELETE, SELECT, INSERT) whose table, columns and
    kind are written in the migration but one of whose values is known only when it runs
    (a variable, the result of an earlier query): pgfence writes the statement with `NULL`
    in the value's place. Notes too a loop over values known only at run time (the rows
    of a query): its body is analysed once.

    ## Why is this bad?
    Usually nothing: the table locks a statement takes follow from its kind and its
    tables, not from its values. What the value decides is not known: which rows are
    touched, how long that takes, how many times a loop sends its statements. A dry-run
    runs a placeholder statement only where `NULL` makes it touch no row (a WHERE
    condition compared with `NULL`, joined with AND); one that would write `NULL` into a
    row, or whose WHERE could still match rows, is not run.

    ## Example
    ```javascript
    for (const s of await knex("authentication")) {
      await knex("authentication").where("key", s.key).update({ order: 1 });
    }
    ```

    ## Use instead
    Nothing to change; to measure how long the data change takes, dry-run with `--seed`.
    """

    id = "run-time-value"
    summary = "a value known only at run time was analysed with a placeholder"
