"""Migration formats: which tool wrote the migrations a PATH names, and reading them.

Each format is a module with `NAME`, `detect(target)` and `load(target, ctx)`. Detection
looks at file names and the start of files, in the order of `DETECTION_ORDER`: the most
specific markers (a sqitch.plan, a drizzle journal, a Prisma lock file) first, plain SQL
last. No format runs the user's code.
"""

from __future__ import annotations

import importlib
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
        for migration in module(name).load(target, ctx):
            key = os.path.realpath(migration.path)
            if key not in seen:
                seen.add(key)
                out.append(migration)
    return out
