"""alter-sequence"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.model import Severity


@register
class AlterSequence(Rule):
    """ALTER SEQUENCE on a sequence in use.

    ## What it does
    Flags `ALTER SEQUENCE` of a sequence that existed before the migration.

    ## Why is this bad?
    It gives the sequence a new file under a lock that `nextval()` conflicts with: every
    INSERT that draws from it waits until the migration's transaction ends. `RESTART`
    can hand out values that are already used (duplicate keys); a smaller `MAXVALUE` or
    `AS` type can make `nextval()` fail.

    ## Example
    ```sql
    ALTER SEQUENCE orders_id_seq RESTART WITH 1000;
    ```

    ## Use instead
    `SELECT setval('orders_id_seq', 1000);` moves a sequence without blocking inserts;
    check values already in use before moving it backwards.
    """

    id = "alter-sequence"
    nodes = (ast.AlterSeqStmt,)
    severity = Severity.MEDIUM
    summary = "ALTER SEQUENCE blocks nextval() until commit; RESTART can reuse values"
    example_schema = "CREATE TABLE orders (id bigserial PRIMARY KEY);"
    example_bad = "ALTER SEQUENCE orders_id_seq RESTART WITH 1000;"
    example_good = "SELECT setval('orders_id_seq', 1000);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.AlterSeqStmt) or node.sequence is None:
            return
        sequence = ctx.catalog.rangevar(node.sequence)
        if _owner_is_fresh(ctx, sequence):
            return
        options = {d.defname for d in node.options or () if isinstance(d, ast.DefElem)}
        restart = "restart" in options
        extra = "; RESTART can hand out values already used (duplicate keys)" if restart else ""
        recipe: tuple[str, ...] = ()
        if restart:
            value = next(
                (
                    sql_value(d)
                    for d in node.options or ()
                    if getattr(d, "defname", "") == "restart"
                ),
                None,
            )
            if value:
                recipe = (f"SELECT setval('{display(sequence)}', {value}, false);",)
        yield Hit(
            f"every nextval() on {display(sequence)} (every INSERT using it) waits until this "
            f"transaction ends{extra}",
            recipe=recipe,
        )


def sql_value(option: object) -> str | None:
    arg = getattr(option, "arg", None)
    value = getattr(arg, "ival", None)
    if value is None:
        value = getattr(getattr(arg, "val", None), "ival", None)
    return str(value) if value is not None else None


def _owner_is_fresh(ctx: RuleContext, sequence: str) -> bool:
    """Does the sequence belong to a table this migration created and did not fill?"""
    for table in ctx.catalog.tables.values():
        owned = any(c.sequence == sequence for c in table.columns.values())
        if owned or sequence in table.sequences:
            return not ctx.existing(table.name)
    return False
