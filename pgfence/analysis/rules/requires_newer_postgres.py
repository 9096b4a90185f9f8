"""requires-newer-postgres"""

from __future__ import annotations

from collections.abc import Iterator

from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.model import Severity
from pgfence.pg.locktable import BY_KEY
from pgfence.pg.rows import Row


@register
class RequiresNewerPostgres(Rule):
    """A statement the Postgres version you run does not have.

    ## What it does
    Flags statements that need a newer major than the one pgfence predicts for (`--pg`):
    `ADD CONSTRAINT … NOT NULL col [NOT VALID]` (18), virtual generated columns (18),
    `ALTER COLUMN … SET EXPRESSION` (17), `SET ACCESS METHOD` (15).

    ## Why is this bad?
    The migration fails on that server, or, for a virtual generated column on PostgreSQL
    17 and older, silently becomes a stored one that rewrites the table.

    ## Example
    ```sql
    ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null NOT NULL email NOT VALID;
    -- with --pg 17
    ```

    ## Use instead
    The form your version has; for NOT NULL before 18:
    `CHECK (email IS NOT NULL) NOT VALID`, `VALIDATE`, then `SET NOT NULL`.
    """

    id = "requires-newer-postgres"
    severity = Severity.CRITICAL
    summary = "the statement needs a newer PostgreSQL than --pg"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = (
        "ALTER TABLE accounts ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) "
        "VIRTUAL;"
    )
    example_good = (
        "ALTER TABLE accounts ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) "
        "STORED;"
    )
    example_version = 17

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for key in ctx.prediction.unavailable:
            since = min((row.since for row in BY_KEY.get(key, ())), default=None)
            if key == Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED:
                yield Hit(
                    f"virtual generated columns need PostgreSQL {since}; on {ctx.version} this "
                    "is refused (and STORED would rewrite the table)"
                )
                continue
            title = BY_KEY[key][0].title if key in BY_KEY else key
            needs = f"PostgreSQL {since}+" if since else "a newer PostgreSQL"
            yield Hit(f"{title} needs {needs}; this migration targets {ctx.version}")
