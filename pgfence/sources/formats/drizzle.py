"""Drizzle Kit: `<out>/NNNN_<name>.sql` files in `meta/_journal.json` order.

drizzle-kit writes `--> statement-breakpoint` between statements (an SQL comment, so the
psql splitter cuts the same statements). drizzle-orm's migrator runs ALL pending files in
one transaction: locks taken by the first file are held until the last one ends.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pgfence.errors import BadInput
from pgfence.model import Location, Migration
from pgfence.sources import checks
from pgfence.sources.formats.base import LoadContext, Target, find_marker, info
from pgfence.sources.sql import script_migration, split_script

NAME = "drizzle"
_JOURNAL = Path("meta") / "_journal.json"
_POSTGRES = frozenset({"postgresql", "postgres", "pg"})


def detect(target: Target) -> bool:
    return find_marker(target, _JOURNAL) is not None


def journal_tags(journal: Path, ctx: LoadContext) -> list[str]:
    try:
        data = json.loads(ctx.read(str(journal)))
        dialect = str(data.get("dialect", "postgresql")).lower()
        entries = sorted(data["entries"], key=lambda e: int(e["idx"]))
        tags = [str(e["tag"]) for e in entries]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(f"not a drizzle-kit journal ({exc})", file=str(journal)) from None
    if dialect not in _POSTGRES:
        raise BadInput(
            f'dialect is "{dialect}": pgfence reads PostgreSQL migrations only',
            file=str(journal),
        )
    return tags


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    journal = find_marker(target, _JOURNAL)
    if journal is None:
        raise BadInput(
            "no meta/_journal.json: not a drizzle-kit migrations folder", file=target.arg
        )
    out_dir = journal.parent.parent
    named = {Path(f).resolve() for f in target.files}
    ordered = [out_dir / f"{tag}.sql" for tag in journal_tags(journal, ctx)]
    chosen = [p for p in ordered if target.directory is not None or p.resolve() in named]
    transaction = ctx.runner_transaction()  # one for every file of the run
    migrations = []
    for path in chosen:
        if not path.is_file():
            raise BadInput("listed in meta/_journal.json but missing", file=str(path))
        text = ctx.read(str(path))
        statements, findings = split_script(
            text,
            str(path),
            blocks=ctx.blocks,
            runner_transaction=True,
            runner_block=transaction.block,
        )
        # `drizzle-kit generate --custom` writes a file holding only a comment; it runs.
        migrations.append(script_migration(str(path), NAME, text, statements, findings, empty=None))
    listed = {p.resolve() for p in ordered}
    strays = [f for f in target.with_suffix(".sql") if Path(f).resolve() not in listed]
    if strays and migrations:
        notes = tuple(
            info(
                checks.NotInJournal,
                Location(f, 1, 1),
                "not listed in meta/_journal.json: drizzle's migrator never applies it",
            )
            for f in strays
        )
        migrations[0] = dataclasses.replace(migrations[0], findings=migrations[0].findings + notes)
    if not migrations:
        raise BadInput("no migration of meta/_journal.json is named here", file=target.arg)
    return migrations
