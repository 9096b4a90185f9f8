"""foreign-key-validation"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import added_constraints, sql
from pgfence.model import Severity


@register
class ForeignKeyValidation(Rule):
    """Adding a foreign key that is validated at once.

    ## What it does
    Flags `ADD CONSTRAINT … FOREIGN KEY` without `NOT VALID` on an existing table.

    ## Why is this bad?
    Postgres takes SHARE ROW EXCLUSIVE on **both** tables and scans the referencing table
    to check every row: writes to both tables wait for the whole scan.

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_account_fk
        FOREIGN KEY (account_id) REFERENCES accounts (id);
    ```

    ## Use instead
    Add it `NOT VALID` (instant), then `VALIDATE CONSTRAINT` in a separate transaction:
    validation takes only SHARE UPDATE EXCLUSIVE on the table and ROW SHARE on the
    referenced one, so reads and writes go on.
    """

    id = "foreign-key-validation"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ADD FOREIGN KEY without NOT VALID blocks writes on both tables during validation"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY);"
        " CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);"
    )
    example_bad = (
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk "
        "FOREIGN KEY (account_id) REFERENCES accounts (id);"
    )
    example_good = (
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk "
        "FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, con in added_constraints(ctx, ConstrType.CONSTR_FOREIGN):
            if not con.skip_validation:
                referenced = ctx.catalog.rangevar(con.pktable)
                name = (
                    con.conname
                    or f"{table.split('.')[-1]}_{'_'.join(a.sval for a in con.fk_attrs)}_fkey"
                )
                definition = sql(con)
                if not con.conname:
                    definition = f"CONSTRAINT {quote_ident(name)} {definition}"
                yield Hit(
                    f"validating this foreign key scans {display(table)} while writes to "
                    f"{display(table)} and {display(referenced)} wait "
                    "(SHARE ROW EXCLUSIVE on both)",
                    recipe=(
                        f"ALTER TABLE {display(table)} ADD {definition} NOT VALID;",
                        "-- in a separate transaction:",
                        f"ALTER TABLE {display(table)} VALIDATE CONSTRAINT {quote_ident(name)};",
                    ),
                )
