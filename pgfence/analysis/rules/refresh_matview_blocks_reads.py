"""refresh-matview-blocks-reads"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import short
from pgfence.model import Severity


@register
class RefreshMatviewBlocksReads(Rule):
    """REFRESH MATERIALIZED VIEW without CONCURRENTLY.

    ## What it does
    Flags `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` of a view in use.

    ## Why is this bad?
    The view is rebuilt under ACCESS EXCLUSIVE: every query that reads it waits until
    the whole query behind it has run again.

    ## Example
    ```sql
    REFRESH MATERIALIZED VIEW daily_totals;
    ```

    ## Use instead
    ```sql
    REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;
    ```
    (needs a unique index on the view; readers keep the old contents meanwhile).
    """

    id = "refresh-matview-blocks-reads"
    nodes = (ast.RefreshMatViewStmt,)
    severity = Severity.HIGH
    summary = "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view"
    example_schema = (
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);"
        " CREATE MATERIALIZED VIEW daily_totals AS SELECT sum(total) AS total FROM orders;"
    )
    example_bad = "REFRESH MATERIALIZED VIEW daily_totals;"
    example_good = "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.RefreshMatViewStmt) or node.concurrent:
            return
        view = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(view) or node.skipData:
            return
        if not ctx.catalog.indexes_of(view) and view in ctx.catalog.tables:
            needs = (
                f"-- CONCURRENTLY needs a unique index on the view, e.g.:\n"
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
                f"{quote_ident(short(view) + '_key')} ON {display(view)} "
                "(<columns that identify a row>);"
            )
            steps: tuple[str, ...] = (needs,)
        else:
            steps = ()
        yield Hit(
            f"refreshing {display(view)} holds ACCESS EXCLUSIVE: every read of it waits for the "
            "whole refresh",
            recipe=(
                *steps,
                f"REFRESH MATERIALIZED VIEW CONCURRENTLY {display(view)};",
            ),
        )
