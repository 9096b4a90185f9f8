"""rename-column"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import LOCK_TIMEOUT, batched_update, column_type, short
from pgfence.model import Severity


@register
class RenameColumn(Rule):
    """Renaming a column of a table in use.

    ## What it does
    Flags `ALTER TABLE … RENAME COLUMN` on a table that existed before the migration.

    ## Why is this bad?
    The rename itself is instant, but the code deployed at that moment still uses the
    old name: every query that names it fails until the new code is out, and during a
    rolling deploy old and new code run side by side.

    ## Example
    ```sql
    ALTER TABLE accounts RENAME COLUMN email TO email_address;
    ```

    ## Use instead
    Expand and contract: add the new column, keep both in step with a trigger, backfill,
    move the code to the new name, then drop the old column.
    """

    id = "rename-column"
    nodes = (ast.RenameStmt,)
    severity = Severity.MEDIUM
    summary = "RENAME COLUMN breaks running code that uses the old name"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "ALTER TABLE accounts RENAME COLUMN email TO email_address;"
    example_good = "ALTER TABLE accounts ADD COLUMN email_address text;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not (
            isinstance(node, ast.RenameStmt)
            and node.renameType == ObjectType.OBJECT_COLUMN
            and node.relation is not None
        ):
            return
        table = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(table):
            return
        old, new = str(node.subname), str(node.newname)
        yield Hit(
            f"renaming {old} to {new} breaks every running query that names {old} until all "
            "code uses the new name",
            recipe=_recipe(ctx, table, old, new),
        )


def _recipe(ctx: RuleContext, table: str, old: str, new: str) -> tuple[str, ...]:
    t, o, n = display(table), quote_ident(old), quote_ident(new)
    fn = quote_ident(f"{short(table)}_{new}_sync")
    type_ = column_type(ctx, table, old) or "<type of " + old + ">"
    return (
        LOCK_TIMEOUT,
        f"ALTER TABLE {t} ADD COLUMN {n} {type_};",
        f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.{n} := COALESCE(NEW.{n}, NEW.{o}); NEW.{o} := COALESCE(NEW.{o}, NEW.{n}); "
        "RETURN NEW; END $$;",
        f"CREATE TRIGGER {fn} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}();",
        batched_update(table, f"{n} = {o}", f"{n} IS DISTINCT FROM {o}"),
        f"-- deploy code that reads and writes {new}; then:",
        f"DROP TRIGGER {fn} ON {t}; DROP FUNCTION {fn}();",
        f"ALTER TABLE {t} DROP COLUMN {o};",
    )
