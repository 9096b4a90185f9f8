"""reindex-blocks"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ReindexObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import OUTSIDE_TRANSACTION
from pgfence.model import Severity


@register
class ReindexBlocks(Rule):
    """REINDEX without CONCURRENTLY on a table in use.

    ## What it does
    Flags `REINDEX INDEX` and `REINDEX TABLE` without `CONCURRENTLY` (PostgreSQL 12+ has
    it) on an index or table that existed before the migration.

    ## Why is this bad?
    `REINDEX TABLE` holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each
    index while it is rebuilt; `REINDEX INDEX` holds ACCESS EXCLUSIVE on the index, which
    blocks every query the planner considers that index for — in practice most reads.
    Both last as long as the rebuild.

    ## Example
    ```sql
    REINDEX INDEX accounts_email_idx;
    ```

    ## Use instead
    ```sql
    REINDEX INDEX CONCURRENTLY accounts_email_idx;
    ```
    outside a transaction block.
    """

    id = "reindex-blocks"
    nodes = (ast.ReindexStmt,)
    severity = Severity.HIGH
    summary = "REINDEX without CONCURRENTLY blocks writes, and reads that use the index"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
        " CREATE INDEX accounts_email_idx ON accounts (email);"
    )
    example_bad = "REINDEX INDEX accounts_email_idx;"
    example_good = "REINDEX INDEX CONCURRENTLY accounts_email_idx;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.ReindexStmt) or node.relation is None:
            return
        if any(
            isinstance(p, ast.DefElem) and p.defname == "concurrently" for p in node.params or ()
        ):
            return
        relation = ctx.catalog.rangevar(node.relation)
        if not ctx.existing(relation):
            return
        kind = "INDEX" if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX else "TABLE"
        what = (
            "ACCESS EXCLUSIVE on the index blocks the queries that would use it"
            if kind == "INDEX"
            else "SHARE on the table blocks writes, and each index is locked ACCESS EXCLUSIVE"
        )
        yield Hit(
            f"rebuilding {display(relation)} in place: {what}, for the whole rebuild",
            recipe=(f"{OUTSIDE_TRANSACTION}\nREINDEX {kind} CONCURRENTLY {display(relation)};",),
        )
