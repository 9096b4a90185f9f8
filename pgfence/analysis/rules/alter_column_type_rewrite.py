"""alter-column-type-rewrite"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import commands
from pgfence.model import Severity
from pgfence.pg.rows import Row


@register
class AlterColumnTypeRewrite(Rule):
    """Changing a column's type in a way that rewrites the table.

    ## What it does
    Flags `ALTER COLUMN … TYPE` when the new type is not binary-coercible from the old
    one (int -> bigint, text -> varchar(n), shrinking varchar(n), any `USING` expression).
    Widening `varchar(n)`, `varchar -> text` and raising a numeric precision are safe and
    are not reported. Without a known schema pgfence assumes a rewrite and says so.

    ## Why is this bad?
    The table and all its indexes are rewritten under ACCESS EXCLUSIVE: every read and
    write of the table waits until the rewrite is done.

    ## Example
    ```sql
    ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
    ```

    ## Use instead
    Add a new column of the new type, keep it in step with a trigger, backfill it in
    batches, then swap the columns in one short transaction.
    """

    id = "alter-column-type-rewrite"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ALTER COLUMN TYPE that is not binary-coercible rewrites the table and its indexes"
    example_schema = "CREATE TABLE accounts (id int PRIMARY KEY, name varchar(50));"
    example_bad = "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;"
    example_good = "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        if Row.ALTER_TABLE__ALTER_COLUMN_TYPE not in ctx.prediction.rows:
            return
        for table, cmd in commands(ctx, AlterTableType.AT_AlterColumnType):
            old = ctx.catalog.column_type(table, cmd.name)
            new = ctx.sql(cmd.def_.typeName)
            change = f"from {old} to {new}" if old else f"to {new}"
            yield Hit(
                f"changing {cmd.name} {change} rewrites {display(table)} and its indexes under "
                "ACCESS EXCLUSIVE: reads and writes wait for the whole rewrite",
                recipe=_recipe(table, cmd.name, new),
            )
            return


def _recipe(table: str, column: str, new_type: str) -> tuple[str, ...]:
    t, c = display(table), quote_ident(column)
    tmp = quote_ident(f"{column}_new")
    fn = quote_ident(f"{table.split('.')[-1]}_{column}_sync")
    return (
        f"ALTER TABLE {t} ADD COLUMN {tmp} {new_type};",
        f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.{tmp} := NEW.{c}; RETURN NEW; END $$;",
        f"CREATE TRIGGER {fn} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}();",
        f"-- backfill in batches, each its own transaction:\n"
        f"UPDATE {t} SET {tmp} = {c} WHERE ctid IN "
        f"(SELECT ctid FROM {t} WHERE {tmp} IS DISTINCT FROM {c} LIMIT 10000);",
        f"BEGIN; SET LOCAL lock_timeout = '2s'; "
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {quote_ident(column + '_old')}; "
        f"ALTER TABLE {t} RENAME COLUMN {tmp} TO {c}; DROP TRIGGER {fn} ON {t}; COMMIT;",
    )
