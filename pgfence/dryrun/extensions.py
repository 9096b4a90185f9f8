"""The extensions a history creates, and a server that has them.

A server without an extension the migrations create (`CREATE EXTENSION pgcrypto`) would
fail that statement and every later one that uses it: a real Prisma history stopped at
file 137 of 163 on the embedded PostgreSQL 18, which ships no pgcrypto. So before a
throwaway dry-run starts, pgfence reads the `CREATE EXTENSION` statements of the
migrations (on the parse tree) and asks the server which extensions it can install; when
some are missing it looks for installed binaries of the same major that have them
(their `share/…/extension/NAME.control`), and otherwise stops with one line that names
the extension, the file and line, and where to get a server with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pglast import ast

from pgfence.dryrun.servers.install import has_extensions
from pgfence.model import Location, Migration


@dataclass(frozen=True)
class Needed:
    name: str
    location: Location


def needed(migrations: Sequence[Migration]) -> list[Needed]:
    """The extensions the migrations create, each with where it is first created."""
    out: dict[str, Needed] = {}
    for migration in migrations:
        for statement in migration.statements:
            node = statement.node
            if isinstance(node, ast.CreateExtensionStmt) and node.extname:
                out.setdefault(node.extname, Needed(node.extname, statement.location))
    return list(out.values())


def lacking(dsn: str, wanted: Sequence[Needed]) -> list[Needed]:
    """Those of `wanted` that the server at `dsn` cannot install."""
    if not wanted:
        return []
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
            ([n.name for n in wanted],),
        ).fetchall()
    have = {name for (name,) in rows}
    return [n for n in wanted if n.name not in have]


def alternative(major: int, names: Sequence[str], current: Path | None) -> Path | None:
    """Installed binaries of `major`, other than `current`, that ship all of `names`."""
    from pgfence.dryrun.servers import local_bin_dirs

    for bin_dir in local_bin_dirs(major):
        if current is not None and bin_dir.resolve() == current.resolve():
            continue
        if has_extensions(bin_dir, names):
            return bin_dir
    return None


def elsewhere(names: Sequence[str]) -> list[int]:
    """Other majors installed here whose binaries ship all of `names`."""
    from pgfence.dryrun.servers import available

    return [
        major
        for major, (_backend, bin_dir) in available().items()
        if bin_dir is not None and has_extensions(bin_dir, names)
    ]


def message(missing: Sequence[Needed], version: str, backend: str, other_majors: list[int]) -> str:
    first = missing[0]
    major = version.split(".")[0]
    names = ", ".join(n.name for n in missing)
    where = f"{first.location.file}:{first.location.line}"
    hint = (
        f"PostgreSQL {', '.join(map(str, other_majors))} here has "
        f"{'it' if len(missing) == 1 else 'them'} (--pg N), or "
        if other_majors
        else ""
    )
    return (
        f"{where}: the migrations create extension {names}, which PostgreSQL {version} "
        f"({backend}) does not ship: {hint}`pgfence servers install {major}` brings this "
        "major with contrib (or --pg-bin DIR, PGFENCE_PG_DIRS, --backend docker)"
    )
