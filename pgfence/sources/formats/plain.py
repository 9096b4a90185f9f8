"""Plain SQL files run with psql: statements autocommit unless the file says BEGIN."""

from __future__ import annotations

from pgfence.model import Migration
from pgfence.sources.formats.base import LoadContext, Target
from pgfence.sources.sql import read_sql_file

NAME = "sql"


def detect(target: Target) -> bool:
    return True


def sql_files(target: Target) -> list[str]:
    if target.directory is None:
        return list(target.files)
    found = target.with_suffix(".sql")
    if not found:
        from pgfence.errors import BadInput

        raise BadInput("directory holds no SQL files (.sql)", file=target.arg)
    return found


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    return [
        read_sql_file(path, blocks=ctx.blocks, max_bytes=ctx.max_bytes, text=ctx.read(path))
        for path in sql_files(target)
    ]
