"""add-column-foreign-key"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import (
    SEPARATE_TRANSACTION,
    added_columns,
    column_constraints,
    short,
    sql,
    type_sql,
)
from pgfence.model import Severity


@register
class AddColumnForeignKey(Rule):
    """Adding a column with an inline REFERENCES clause.

    ## What it does
    Flags `ADD COLUMN … REFERENCES other (…)` on a table in use.

    ## Why is this bad?
    One statement takes ACCESS EXCLUSIVE on the table and SHARE ROW EXCLUSIVE on the
    referenced table: writes to both wait, and the requests queue behind any long
    transaction on either. With a `DEFAULT`, every row is also checked against the
    referenced table while the locks are held.

    ## Example
    ```sql
    ALTER TABLE orders ADD COLUMN account_id bigint REFERENCES accounts (id);
    ```

    ## Use instead
    Add the column, then the constraint `NOT VALID`, then validate it separately:
    ```sql
    ALTER TABLE orders ADD COLUMN account_id bigint;
    ALTER TABLE orders ADD CONSTRAINT orders_account_id_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_account_id_fkey;
    ```
    """

    id = "add-column-foreign-key"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.MEDIUM
    summary = "ADD COLUMN … REFERENCES locks both tables in one statement; add the key NOT VALID"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY);"
        " CREATE TABLE orders (id bigint PRIMARY KEY);"
    )
    example_bad = "ALTER TABLE orders ADD COLUMN account_id bigint REFERENCES accounts (id);"
    example_good = "ALTER TABLE orders ADD COLUMN account_id bigint;"

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, col in added_columns(ctx):
            for con in column_constraints(col, ConstrType.CONSTR_FOREIGN):
                referenced = ctx.catalog.rangevar(con.pktable)
                t, c = display(table), quote_ident(col.colname)
                name = quote_ident(con.conname or f"{short(table)}_{col.colname}_fkey")
                keys = ", ".join(quote_ident(k.sval) for k in con.pk_attrs or ())
                target = f"{display(referenced)}" + (f" ({keys})" if keys else "")
                actions = _actions(con)
                yield Hit(
                    f"adding {col.colname} with REFERENCES {display(referenced)} locks {t} "
                    f"(ACCESS EXCLUSIVE) and {display(referenced)} (SHARE ROW EXCLUSIVE) in one "
                    "statement",
                    recipe=(
                        f"ALTER TABLE {t} ADD COLUMN {c} {type_sql(col)};",
                        f"ALTER TABLE {t} ADD CONSTRAINT {name} FOREIGN KEY ({c}) "
                        f"REFERENCES {target}{actions} NOT VALID;",
                        SEPARATE_TRANSACTION,
                        f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};",
                    ),
                )


def _actions(con: object) -> str:
    """ON DELETE / ON UPDATE clauses of the original constraint, as written."""
    text = sql(con)
    out = []
    for clause in ("ON DELETE", "ON UPDATE"):
        if clause in text:
            rest = text.split(clause, 1)[1].split(" ON ")[0].strip()
            out.append(f" {clause} {rest}")
    return "".join(out)
