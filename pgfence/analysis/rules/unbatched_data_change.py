"""unbatched-data-change"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import sql
from pgfence.analysis.statements import data_change_target, is_unbatched
from pgfence.model import Severity


@register
class UnbatchedDataChange(Rule):
    """A data change that touches a whole table in one statement.

    ## What it does
    Flags `UPDATE` and `DELETE` without a bounding `WHERE` (no comparison with a constant,
    no `LIMIT`ed subquery: `WHERE col IS NULL` is a whole-table backfill), `MERGE`, and
    `INSERT … SELECT` without `LIMIT`, on a table in use.

    ## Why is this bad?
    One statement locks every row it changes until it commits: concurrent updates of
    those rows wait for the whole run, which grows with the table. It writes a burst of
    WAL that replicas lag behind, and leaves as many dead rows for vacuum. A failure at
    the end rolls everything back.

    ## Example
    ```sql
    UPDATE accounts SET plan = 'free' WHERE plan IS NULL;
    ```

    ## Use instead
    Batches of a few thousand rows, each in its own transaction, repeated until none is
    left:
    ```sql
    UPDATE accounts SET plan = 'free'
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM accounts WHERE plan IS NULL LIMIT 10000));
    ```
    """

    id = "unbatched-data-change"
    nodes = (ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.InsertStmt)
    severity = Severity.HIGH
    summary = "UPDATE / DELETE of a whole table in one statement: row locks and WAL for all of it"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);"
    example_bad = "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;"
    example_good = (
        "UPDATE accounts SET plan = 'free' WHERE ctid = ANY (ARRAY("
        "SELECT ctid FROM accounts WHERE plan IS NULL LIMIT 10000));"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        target = data_change_target(node)
        if target is None or not is_unbatched(node):
            return
        table = ctx.catalog.rangevar(target)
        if not ctx.existing(table):
            return
        yield Hit(
            f"this changes the rows of {display(table)} in one statement: each row stays locked "
            "until it commits, and the WAL and dead rows come in one burst",
            recipe=_recipe(node, table),
        )


def _recipe(node: object, table: str) -> tuple[str, ...]:
    t = display(table)
    where = getattr(node, "whereClause", None)
    header = "-- in batches, each its own transaction, repeated until it changes 0 rows:\n"
    if isinstance(node, ast.UpdateStmt) and not node.fromClause:
        targets = [t_ for t_ in node.targetList or () if isinstance(t_, ast.ResTarget)]
        sets = ", ".join(f"{quote_ident(x.name)} = {sql(x.val)}" for x in targets)
        # A row is done once it holds the new values: the loop then ends by itself.
        done = " OR ".join(f"{quote_ident(x.name)} IS DISTINCT FROM {sql(x.val)}" for x in targets)
        pending = f"({sql(where)}) AND ({done})" if where is not None else done
        batch = f"ctid = ANY (ARRAY(SELECT ctid FROM {t} WHERE {pending} LIMIT 10000))"
        return (f"{header}UPDATE {t} SET {sets} WHERE {batch};",)
    if isinstance(node, ast.DeleteStmt) and not node.usingClause:
        pending = f" WHERE {sql(where)}" if where is not None else ""
        batch = f"ctid = ANY (ARRAY(SELECT ctid FROM {t}{pending} LIMIT 10000))"
        return (f"{header}DELETE FROM {t} WHERE {batch};",)
    return (f"{header}-- split the statement by key ranges (WHERE id >= n AND id < n + 10000)",)
