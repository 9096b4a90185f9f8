"""domain-constraint-validation"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from pgfence.analysis.rule import Hit, Rule, RuleContext, quote_ident, register
from pgfence.analysis.rules._shared import SEPARATE_TRANSACTION, sql
from pgfence.model import Severity


@register
class DomainConstraintValidation(Rule):
    """Adding a constraint to a domain, checked at once against every column using it.

    ## What it does
    Flags `ALTER DOMAIN … ADD CONSTRAINT` without `NOT VALID`, and `ALTER DOMAIN … SET
    NOT NULL`.

    ## Why is this bad?
    Every column of that domain, in every table, is checked under a SHARE lock on its
    table: writes to all of those tables wait until the scans finish.

    ## Example
    ```sql
    ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
    ```

    ## Use instead
    ```sql
    ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;
    -- then, in a separate transaction, at a quiet time:
    ALTER DOMAIN email_address VALIDATE CONSTRAINT email_has_at;
    ```
    New values are checked from the first step on; the validation still scans.
    """

    id = "domain-constraint-validation"
    nodes = (ast.AlterDomainStmt,)
    severity = Severity.HIGH
    summary = "ALTER DOMAIN ADD CONSTRAINT / SET NOT NULL checks every column of the domain"
    example_schema = "CREATE DOMAIN email_address AS text;"
    example_bad = "ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');"
    example_good = (
        "ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        node = ctx.statement.node
        if not isinstance(node, ast.AlterDomainStmt) or node.subtype not in ("C", "O"):
            return
        con = node.def_
        if node.subtype == "C" and (not isinstance(con, ast.Constraint) or con.skip_validation):
            return
        domain = ".".join(quote_ident(n.sval) for n in node.typeName or ())
        tables = ctx.prediction.scans
        where = (
            f"the columns of {domain} in " + ", ".join(t.split(".", 1)[-1] for t in tables)
            if tables
            else f"every column of domain {domain}"
        )
        if node.subtype == "O":
            yield Hit(
                f"SET NOT NULL checks {where} under SHARE: writes to those tables wait",
            )
            return
        name = quote_ident(con.conname or "domain_check")
        yield Hit(
            f"this constraint is checked against {where} under SHARE: writes to those tables wait",
            recipe=(
                f"ALTER DOMAIN {domain} ADD {sql(con)} NOT VALID;",
                SEPARATE_TRANSACTION,
                f"ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name};",
            ),
        )
