"""Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql`, ordered by folder name.

`migration_lock.toml` names the provider; pgfence reads PostgreSQL projects only. Prisma's
schema engine sends each migration.sql as one multi-statement query, which Postgres runs
in one implicit transaction (a CREATE INDEX CONCURRENTLY needs a migration of its own).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pgfence.errors import BadInput
from pgfence.model import Migration
from pgfence.sources.files import natural_key
from pgfence.sources.formats.base import LoadContext, Target, head, no_files
from pgfence.sources.formats.implicit import read_script

NAME = "prisma"
_LOCK = "migration_lock.toml"
_PROVIDER = re.compile(r'^\s*provider\s*=\s*"([^"]+)"', re.MULTILINE)
_POSTGRES = frozenset({"postgresql", "postgres"})


def _migration_files(target: Target) -> list[str]:
    return [f for f in target.files if os.path.basename(f) == "migration.sql"]


def detect(target: Target) -> bool:
    if any(os.path.basename(f) == _LOCK for f in target.files):
        return True
    return any((Path(f).parent.parent / _LOCK).exists() for f in _migration_files(target))


def check_provider(lock_file: Path) -> None:
    if not lock_file.exists():
        return
    found = _PROVIDER.search(head(str(lock_file)))
    if found and found.group(1).lower() not in _POSTGRES:
        raise BadInput(
            f'provider is "{found.group(1)}": pgfence reads PostgreSQL migrations only',
            file=str(lock_file),
        )


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    found = list(target.files) if target.explicit_file else _migration_files(target)
    if not found:
        raise no_files(target, "Prisma", "<timestamp>_<name>/migration.sql")
    for lock in {Path(f).parent.parent / _LOCK for f in found}:
        check_provider(lock)
    ordered = sorted(found, key=lambda f: natural_key(Path(f).parent.name))
    return [read_script(path, NAME, ctx) for path in ordered]
