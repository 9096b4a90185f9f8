"""The extensions a history creates, and a server that has them.

A server without an extension the migrations create (`CREATE EXTENSION pgcrypto`) would
fail that statement and every later one that uses it: a real Prisma history stopped at
file 137 of 163 on the embedded PostgreSQL 18, which ships no pgcrypto. So before a
throwaway dry-run starts, pgfence reads the `CREATE EXTENSION` statements of the
migrations (on the parse tree) and asks the server which extensions it can install; when
some are missing it looks for installed binaries of the same major that have them
(their `share/…/extension/NAME.control`), and otherwise stops with one line that names
the extension, the file and line, and where to get a server with it.

ICU is treated the same way, under the name `ICU`: a history that creates an ICU collation
(`CREATE COLLATION … (provider = icu, …)`, as netbox's does) fails on a server built
without it (the embedded PostgreSQL 18 is), so it needs a build that links libicu.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pglast import ast
from pglast.enums import ObjectType

from pgfence.dryrun.servers.install import has_extensions
from pgfence.model import Location, Migration

ICU = "ICU"  # not an extension: a build option, needed by ICU collations


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
            elif _icu_collation(node):
                out.setdefault(ICU, Needed(ICU, statement.location))
    return list(out.values())


def _icu_collation(node: object) -> bool:
    if not isinstance(node, ast.DefineStmt) or node.kind != ObjectType.OBJECT_COLLATION:
        return False
    for item in node.definition or ():
        if isinstance(item, ast.DefElem) and item.defname == "provider":
            arg = item.arg
            names = getattr(arg, "names", None) or (arg,)
            if any(getattr(n, "sval", "").lower() == "icu" for n in names):
                return True
    return False


def _has(bin_dir: Path, names: Sequence[str]) -> bool:
    """Whether the installation of `bin_dir` has every one of `names` (ICU: its
    `postgres` binary links libicu)."""
    if ICU in names:
        try:
            if b"libicuuc" not in (bin_dir / "postgres").read_bytes():
                return False
        except OSError:
            return False
    return has_extensions(bin_dir, [n for n in names if n != ICU])


def lacking(dsn: str, wanted: Sequence[Needed]) -> list[Needed]:
    """Those of `wanted` that the server at `dsn` cannot install."""
    if not wanted:
        return []
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)"
            " UNION ALL SELECT %s WHERE EXISTS"
            # initdb imports ICU's collations (`und-x-icu`, …) only into a build with ICU;
            # `unicode` is there either way.
            " (SELECT FROM pg_collation WHERE collprovider = 'i' AND collname LIKE '%%-x-icu')",
            ([n.name for n in wanted], ICU),
        ).fetchall()
    have = {name for (name,) in rows}
    return [n for n in wanted if n.name not in have]


def alternative(major: int, names: Sequence[str], current: Path | None) -> Path | None:
    """Installed binaries of `major`, other than `current`, that ship all of `names`."""
    from pgfence.dryrun.servers import local_bin_dirs

    for bin_dir in local_bin_dirs(major):
        if current is not None and bin_dir.resolve() == current.resolve():
            continue
        if _has(bin_dir, names):
            return bin_dir
    return None


def elsewhere(names: Sequence[str]) -> list[int]:
    """Other majors installed here whose binaries ship all of `names`."""
    from pgfence.dryrun.servers import available

    return [
        major
        for major, (_backend, bin_dir) in available().items()
        if bin_dir is not None and _has(bin_dir, names)
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
    if [n.name for n in missing] == [ICU]:
        return (
            f"{where}: the migrations create an ICU collation, and PostgreSQL {version} "
            f"({backend}) was built without ICU: {hint}`pgfence servers install {major}` "
            "brings this major built with ICU (or --pg-bin DIR, PGFENCE_PG_DIRS, "
            "--backend docker)"
        )
    return (
        f"{where}: the migrations create extension {names}, which PostgreSQL {version} "
        f"({backend}) does not ship: {hint}`pgfence servers install {major}` brings this "
        "major with contrib (or --pg-bin DIR, PGFENCE_PG_DIRS, --backend docker)"
    )
