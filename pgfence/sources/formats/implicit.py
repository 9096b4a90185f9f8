"""Scripts a tool sends to Postgres as one multi-statement query.

Postgres runs the statements of one simple-protocol query string in one implicit
transaction when there is more than one of them (so CREATE INDEX CONCURRENTLY fails there,
ERROR 25001, but works alone in its file). golang-migrate and Prisma send each file so.
"""

from __future__ import annotations

from pgfence.model import Migration
from pgfence.sources.formats.base import LoadContext
from pgfence.sources.sql import place_transactions, script_migration, split_script


def read_script(path: str, fmt: str, ctx: LoadContext) -> Migration:
    text = ctx.read(path)
    statements, findings = split_script(text, path)
    statements = place_transactions(statements, ctx.blocks, runner_transaction=len(statements) > 1)
    return script_migration(path, fmt, text, statements, findings)
