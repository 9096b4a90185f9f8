"""identifier-too-long"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser

from pgfence.analysis.rule import Hit, Rule, RuleContext, register
from pgfence.analysis.statements import NAMEDATALEN, created_identifiers
from pgfence.model import Severity


@register
class IdentifierTooLong(Rule):
    """A name longer than Postgres keeps.

    ## What it does
    Flags tables, columns, indexes, constraints, views, sequences and triggers created
    or renamed with a name longer than 63 bytes.

    ## Why is this bad?
    Postgres silently cuts identifiers to 63 bytes (NAMEDATALEN - 1). Two long names that
    share their first 63 bytes collide (`already exists`), and tools that compare the
    name they asked for with the one in the catalog (ORM schema diffs) see a difference
    forever.

    ## Example
    ```sql
    CREATE INDEX accounts_billing_country_and_postal_code_and_created_at_for_reports_idx
        ON accounts (billing_country, postal_code, created_at);
    ```

    ## Use instead
    A name of at most 63 bytes:
    ```sql
    CREATE INDEX accounts_country_postal_created_idx
        ON accounts (billing_country, postal_code, created_at);
    ```
    """

    id = "identifier-too-long"
    severity = Severity.LOW
    summary = "a name over 63 bytes is silently truncated by Postgres"
    example_schema = (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, billing_country text, "
        "postal_code text, created_at timestamptz);"
    )
    example_bad = (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS "
        "accounts_billing_country_and_postal_code_and_created_at_for_reports_idx "
        "ON accounts (billing_country, postal_code, created_at);"
    )
    example_good = (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_country_postal_created_idx "
        "ON accounts (billing_country, postal_code, created_at);"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        # The parser has already cut the names in the tree: find the full ones in the text.
        # A cut name is 60 to 63 bytes (cut on a character boundary): without one, nothing
        # was cut, and the statement's text need not be scanned.
        created = {
            n for n in created_identifiers(ctx.statement.node) if len(n.encode()) >= NAMEDATALEN - 4
        }
        if not created:
            return
        for name in _long_identifiers(ctx.statement.sql):
            kept = name.encode()[: NAMEDATALEN - 1].decode(errors="ignore")
            if kept in created:
                size = len(name.encode())
                yield Hit(f"{name} is {size} bytes: Postgres keeps only {kept!r} (63 bytes)")


def _long_identifiers(sql: str) -> list[str]:
    try:
        tokens = parser.scan(sql)
    except Exception:  # pragma: no cover - the statement parsed, so it scans
        return []
    encoded = sql.encode()
    out = []
    for token in tokens:
        if token.name != "IDENT":
            continue
        text = encoded[token.start : token.end + 1].decode()
        name = text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()
        if len(name.encode()) >= NAMEDATALEN:
            out.append(name)
    return list(dict.fromkeys(out))
