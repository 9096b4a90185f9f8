"""Migration formats: which tool wrote the migrations a PATH names, and reading them.

Each format is a module with `NAME`, `detect(target)` and `load(target, ctx)`. Detection
looks at file names and the start of files, in the order of `DETECTION_ORDER`: the most
specific markers (a sqitch.plan, a drizzle journal, a Prisma lock file) first, plain SQL
last. No format runs the user's code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from types import ModuleType

from pgfence.errors import UsageError
from pgfence.model import Migration
from pgfence.sources.formats.base import JS_SUFFIXES, LoadContext, Target, target_of

__all__ = ["DETECTION_ORDER", "FORMATS", "LoadContext", "Target", "detect", "load"]

# format name -> module under pgfence.sources.formats
MODULES = {
    "sqitch": "sqitch",
    "drizzle": "drizzle",
    "prisma": "prisma",
    "flyway": "flyway",
    "golang-migrate": "golang_migrate",
    "dbmate": "dbmate",
    "alembic": "alembic",
    "django": "django",
    "typeorm": "typeorm",
    "sequelize": "sequelize",
    "knex": "knex",
    "sql": "plain",
}
DETECTION_ORDER = tuple(MODULES)
# The format of a file named on the command line that no format claims (skipped).
NOT_A_MIGRATION = "none"
FORMATS = ("auto", *sorted(MODULES))

# Formats that only ever detect files with these suffixes: a PATH without any is not
# theirs, and their modules (the Python and JavaScript readers) are not even imported.
_ONLY_WITH = {
    "alembic": (".py",),
    "django": (".py",),
    "typeorm": JS_SUFFIXES,
    "sequelize": JS_SUFFIXES,
    "knex": JS_SUFFIXES,
}


def module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"pgfence.sources.formats.{MODULES[name]}")
    except KeyError:
        raise UsageError(
            f"unknown migration format {name!r} (one of: {', '.join(FORMATS)})"
        ) from None


def detect(target: Target) -> str:
    for name in DETECTION_ORDER:
        suffixes = _ONLY_WITH.get(name)
        if suffixes is not None and not target.with_suffix(*suffixes):
            continue
        if module(name).detect(target):
            return name
    return "sql"  # pragma: no cover - plain SQL claims everything


def load(paths: Sequence[str], ctx: LoadContext, fmt: str = "auto") -> list[Migration]:
    """Every migration the PATHs name, each PATH read in its format's own order."""
    import os

    if fmt != "auto":
        module(fmt)  # an unknown name fails before any file is read
    out: list[Migration] = []
    seen: set[str] = set()
    for arg in paths:
        target = target_of(arg, ctx.texts)
        name = detect(target) if fmt == "auto" else fmt
        if name == "sql" and fmt == "auto":
            target, skipped = _program_files_apart(target, ctx)
            out.extend(m for m in skipped if os.path.realpath(m.path) not in seen)
            seen.update(os.path.realpath(m.path) for m in skipped)
            if skipped and not target.files:  # nothing but files no format claims
                continue
        for migration in module(name).load(target, ctx):
            key = os.path.realpath(migration.path)
            if key not in seen:
                seen.add(key)
                out.append(migration)
    return out


_PROGRAM_SUFFIXES = (".py", *JS_SUFFIXES)
_NOT_CLAIMED = {
    True: "neither an Alembic revision nor a Django migration",
    False: "no Knex, Sequelize or TypeORM migration",
}


def _program_files_apart(target: Target, ctx: LoadContext) -> tuple[Target, list[Migration]]:
    """Python and JavaScript files named one by one that no format claimed (pre-commit
    passes every file of a migrations folder: `__init__.py`, helpers): each is skipped
    with a note, never read as SQL. A directory's walk reads only its .sql files anyway.
    What is no text at all (binary, not UTF-8, too large) is still bad input."""
    if target.directory is not None:
        return target, []
    programs = target.with_suffix(*_PROGRAM_SUFFIXES)
    if not programs:
        return target, []
    from pgfence.sources.files import decode, read_bytes

    for path in programs:  # raises BadInput, with the file, for what is no text
        if os.path.realpath(path) not in ctx.texts:
            data = read_bytes(path, max_bytes=ctx.max_bytes)
            if data.strip():  # an empty `__init__.py` is a file no format claims, too
                decode(data, path)
    from pgfence.model import Location
    from pgfence.sources import checks
    from pgfence.sources.formats.base import info

    skipped = [
        Migration(
            path,
            NOT_A_MIGRATION,
            (),
            (
                info(
                    checks.NotAMigration,
                    Location(path, 1, 1),
                    f"not a migration ({_NOT_CLAIMED[path.endswith('.py')]}): skipped",
                ),
            ),
        )
        for path in programs
    ]
    rest = tuple(f for f in target.files if f not in programs)
    return Target(target.arg, None, rest), skipped
