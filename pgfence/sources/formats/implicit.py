"""Scripts a tool sends to Postgres as one multi-statement query.

Postgres runs the statements of one simple-protocol query string in one implicit
transaction when there is more than one of them (so CREATE INDEX CONCURRENTLY fails there,
ERROR 25001, but works alone in its file). golang-migrate and Prisma send each file so.
"""

from __future__ import annotations

from pgfence.model import Migration
from pgfence.sources.formats.base import LoadContext
from pgfence.sources.sql import BlockCounter, script_migration, split_script


def read_script(path: str, fmt: str, ctx: LoadContext) -> Migration:
    text = ctx.read(path)
    alone, _ = split_script(text, path, blocks=BlockCounter())
    statements, findings = split_script(
        text, path, blocks=ctx.blocks, runner_transaction=len(alone) > 1
    )
    return script_migration(path, fmt, text, statements, findings)
