"""concurrently-without-if-exists"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import OUTSIDE_TRANSACTION, sql
from pgfence.model import Severity


@register
class ConcurrentlyWithoutIfExists(Rule):
    """A concurrent index build or drop that a re-run cannot get past.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY` without `IF NOT EXISTS` and `DROP INDEX
    CONCURRENTLY` without `IF EXISTS`.

    ## Why is this bad?
    These run outside a transaction, so a failure half-way is not rolled back: a failed
    build leaves an INVALID index behind (still maintained on every write, never used by
    queries), and the next run of the migration fails with `already exists`. Find them
    with `SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;`.

    ## Example
    ```sql
    CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
    ```

    ## Use instead
    Drop a leftover invalid index first, then build with `IF NOT EXISTS`:
    ```sql
    DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;
    CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);
    ```
    (`IF NOT EXISTS` alone would keep an invalid index: it only checks the name.)
    """

    id = "concurrently-without-if-exists"
    nodes = (ast.IndexStmt, ast.DropStmt)
    severity = Severity.LOW
    summary = "CONCURRENTLY without IF [NOT] EXISTS: a failed run blocks re-runs"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"
    example_good = "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if isinstance(node, ast.IndexStmt) and node.concurrent and not node.if_not_exists:
            if not node.idxname:
                return  # an unnamed index gets a fresh name: a re-run does not collide
            name = display(ctx.catalog.qualify(node.idxname, node.relation.schemaname))
            robust = sql(node).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)
            yield Hit(
                f"if this build fails it leaves {name} INVALID, and a re-run fails with "
                "'already exists'",
                recipe=(
                    f"{OUTSIDE_TRANSACTION}\n-- a leftover of a failed run is INVALID: drop it "
                    f"first\nDROP INDEX CONCURRENTLY IF EXISTS {name};",
                    f"{robust};",
                ),
            )
        elif (
            isinstance(node, ast.DropStmt)
            and node.removeType == ObjectType.OBJECT_INDEX
            and node.concurrent
            and not node.missing_ok
        ):
            names = ", ".join(display(ctx.catalog.names(o)) for o in node.objects or ())
            yield Hit(
                f"a re-run after this drop has succeeded fails: {names} no longer exists",
                recipe=(f"{OUTSIDE_TRANSACTION}\nDROP INDEX CONCURRENTLY IF EXISTS {names};",),
            )
