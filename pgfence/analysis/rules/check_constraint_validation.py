"""check-constraint-validation"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import alter_table, sql
from pgfence.model import Severity


@register
class CheckConstraintValidation(Rule):
    """Adding a CHECK constraint that is validated at once.

    ## What it does
    Flags `ADD CONSTRAINT … CHECK (…)` without `NOT VALID`, and `ADD COLUMN … CHECK
    (…)`, on an existing table.

    ## Why is this bad?
    The whole table is scanned to check every row while ACCESS EXCLUSIVE is held: reads
    and writes wait for the scan.

    ## Example
    ```sql
    ALTER TABLE accounts ADD CONSTRAINT accounts_n_positive CHECK (n > 0);
    ```

    ## Use instead
    Add it `NOT VALID` (a brief lock, no scan), then `VALIDATE CONSTRAINT` in another
    transaction, which scans under SHARE UPDATE EXCLUSIVE while reads and writes go on.
    """

    id = "check-constraint-validation"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ADD CHECK without NOT VALID scans the table under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, n int);"
    example_bad = "ALTER TABLE accounts ADD CONSTRAINT accounts_n_positive CHECK (n > 0);"
    example_good = (
        "ALTER TABLE accounts ADD CONSTRAINT accounts_n_positive CHECK (n > 0) NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        found = alter_table(ctx)
        if found is None:
            return
        table, cmds = found
        for cmd in cmds:
            con = cmd.def_
            if (
                cmd.subtype == AlterTableType.AT_AddConstraint
                and isinstance(con, ast.Constraint)
                and con.contype == ConstrType.CONSTR_CHECK
                and not con.skip_validation
            ):
                name = con.conname or f"{table.split('.')[-1]}_check"
                expr = sql(con.raw_expr)
                yield Hit(
                    f"checking every row of {display(table)} holds ACCESS EXCLUSIVE: reads and "
                    "writes wait for the scan",
                    recipe=(
                        f"ALTER TABLE {display(table)} ADD CONSTRAINT {quote_ident(name)} "
                        f"CHECK ({expr}) NOT VALID;",
                        "-- in a separate transaction:",
                        f"ALTER TABLE {display(table)} VALIDATE CONSTRAINT {quote_ident(name)};",
                    ),
                )
            elif cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                yield from _column_checks(table, cmd.def_)


def _column_checks(table: str, col: ast.ColumnDef) -> Iterator[Hit]:
    t, c = display(table), quote_ident(col.colname)
    others = [
        con
        for con in col.constraints or ()
        if con.contype not in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_NOTNULL)
    ]
    for con in col.constraints or ():
        if con.contype != ConstrType.CONSTR_CHECK:
            continue
        name = quote_ident(con.conname or f"{table.split('.')[-1]}_{col.colname}_check")
        plain = sql(col.typeName) + "".join(" " + sql(o) for o in others)
        yield Hit(
            f"adding {col.colname} with a CHECK checks every row of {t} under ACCESS "
            "EXCLUSIVE: reads and writes wait for the scan",
            recipe=(
                f"ALTER TABLE {t} ADD COLUMN {c} {plain};",
                f"ALTER TABLE {t} ADD CONSTRAINT {name} CHECK ({sql(con.raw_expr)}) NOT VALID;",
                "-- in a separate transaction:",
                f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};",
            ),
        )
