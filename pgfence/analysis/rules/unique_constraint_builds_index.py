"""unique-constraint-builds-index"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, quote_ident, register
from pgfence.analysis.rules._shared import alter_table, sql
from pgfence.model import Severity


@register
class UniqueConstraintBuildsIndex(Rule):
    """Adding a UNIQUE or PRIMARY KEY constraint that builds its index in place.

    ## What it does
    Flags `ADD CONSTRAINT … UNIQUE (…)`, `ADD PRIMARY KEY (…)` and `ADD COLUMN … UNIQUE`
    on an existing table unless they reuse an index built beforehand (`USING INDEX`).

    ## Why is this bad?
    The unique index is built while ACCESS EXCLUSIVE is held: reads and writes of the
    table wait for the whole build.

    ## Example
    ```sql
    ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
    ```

    ## Use instead
    Build the index with `CREATE UNIQUE INDEX CONCURRENTLY`, then attach it with
    `ADD CONSTRAINT … UNIQUE USING INDEX`, which only updates the catalog.
    """

    id = "unique-constraint-builds-index"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ADD UNIQUE / PRIMARY KEY builds an index under ACCESS EXCLUSIVE"
    example_schema = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"
    example_bad = "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);"
    example_good = (
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key "
        "UNIQUE USING INDEX accounts_email_key;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        found = alter_table(ctx)
        if found is None:
            return
        table, cmds = found
        for cmd in cmds:
            if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                yield from _column_unique(table, cmd.def_)
                continue
            con = cmd.def_
            if not (
                cmd.subtype == AlterTableType.AT_AddConstraint
                and isinstance(con, ast.Constraint)
                and con.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY)
                and not con.indexname
            ):
                continue
            t = display(table)
            columns = ", ".join(quote_ident(k.sval) for k in con.keys or ())
            primary = con.contype == ConstrType.CONSTR_PRIMARY
            short = table.split(".")[-1]
            name = con.conname or (
                f"{short}_pkey" if primary else f"{short}_{'_'.join(k.sval for k in con.keys)}_key"
            )
            kind = "PRIMARY KEY" if primary else "UNIQUE"
            yield Hit(
                f"adding {kind} builds a unique index on {t} under ACCESS EXCLUSIVE: reads and "
                "writes wait for the whole build",
                recipe=(
                    "-- outside any transaction block:\n"
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
                    f"{quote_ident(name)} ON {t} ({columns});",
                    f"ALTER TABLE {t} ADD CONSTRAINT {quote_ident(name)} {kind} "
                    f"USING INDEX {quote_ident(name)};",
                ),
            )


def _column_unique(table: str, col: ast.ColumnDef) -> Iterator[Hit]:
    t, c = display(table), quote_ident(col.colname)
    short = table.split(".")[-1]
    for con in col.constraints or ():
        if con.contype not in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
            continue
        primary = con.contype == ConstrType.CONSTR_PRIMARY
        name = quote_ident(
            con.conname or (f"{short}_pkey" if primary else f"{short}_{col.colname}_key")
        )
        kind = "PRIMARY KEY" if primary else "UNIQUE"
        yield Hit(
            f"adding {col.colname} {kind} builds a unique index on {t} under ACCESS EXCLUSIVE: "
            "reads and writes wait for the whole build",
            recipe=(
                f"ALTER TABLE {t} ADD COLUMN {c} {sql(col.typeName)};",
                "-- outside any transaction block:\n"
                f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {t} ({c});",
                f"ALTER TABLE {t} ADD CONSTRAINT {name} {kind} USING INDEX {name};",
            ),
        )
