"""dbmate: one file per migration, `-- migrate:up` and `-- migrate:down` sections.

Only the up section is read, with the file's own line numbers. dbmate wraps it in a
transaction unless the marker says `-- migrate:up transaction:false`.
"""

from __future__ import annotations

import re

from pgfence.errors import BadInput
from pgfence.model import Migration
from pgfence.sources.formats.base import LoadContext, Target, head, no_files
from pgfence.sources.sql import script_migration, split_script

NAME = "dbmate"
_UP = re.compile(r"^--\s*migrate:up\b(.*)$", re.MULTILINE)
_DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)


def detect(target: Target) -> bool:
    return any(_UP.search(head(f)) for f in target.with_suffix(".sql"))


def read(path: str, ctx: LoadContext) -> Migration:
    text = ctx.read(path)
    up = _UP.search(text)
    if up is None:
        raise BadInput("no `-- migrate:up` section: not a dbmate migration", file=path)
    start = text.find("\n", up.end())
    start = len(text) if start < 0 else start + 1
    down = _DOWN.search(text, start)
    section = text[start : down.start() if down else len(text)]
    line_offset = text.count("\n", 0, start)
    in_transaction = "transaction:false" not in up.group(1).replace(" ", "")
    statements, findings = split_script(
        section,
        path,
        blocks=ctx.blocks,
        runner_transaction=in_transaction,
        line_offset=line_offset,
    )
    empty = "the `-- migrate:up` section holds no SQL statements"
    return script_migration(path, NAME, text, statements, findings, empty=empty)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    found = list(target.files) if target.explicit_file else target.with_suffix(".sql")
    found = [f for f in found if target.explicit_file or _UP.search(head(f))]
    if not found:
        raise no_files(target, "dbmate", "-- migrate:up")
    return [read(path, ctx) for path in found]
