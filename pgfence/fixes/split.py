"""`--fix --split`: what no edit inside one migration can make safe, cut into migrations.

A cut ends the migration after one statement (rewritten) and starts the next; a build
that must run outside any transaction gets a migration of its own between them:

- an index build or drop in a file the tool runs in a transaction: moved, CONCURRENTLY,
  into a migration of its own; the statements after it into the next;
- a foreign key or CHECK there: added `NOT VALID`; its `VALIDATE` opens the next one;
- `ADD CONSTRAINT … UNIQUE (…)`: `CREATE UNIQUE INDEX CONCURRENTLY` on its own, then
  `ADD CONSTRAINT … UNIQUE USING INDEX` (catalog only) opens the next;
- `ALTER COLUMN … SET NOT NULL`: a NOT VALID constraint (PostgreSQL 18: `NOT NULL …
  NOT VALID`; before: `CHECK (… IS NOT NULL) NOT VALID`), then `VALIDATE` — and before
  18, `SET NOT NULL` (no scan: the check proves it) and the check dropped — next;
- a long statement (a backfill) after a lock that blocks traffic, in the tool's
  transaction: it opens the next migration, so the lock is released before it runs;
- a Flyway script mixing statements that cannot run in a transaction with others: the
  first such statement moved into a script of its own.

The new files are named the way the tool names its migrations, sorting right after
the original and before the one that follows it; the timeouts in force at the cut are
set again at the top of each migration that follows. A cut inside `BEGIN … COMMIT` is
refused, and so are formats that list their files elsewhere (Drizzle's journal, the
sqitch plan).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pglast import ast
from pglast.enums import AlterTableType, ConstrType
from pglast.stream import RawStream, maybe_double_quote_name

from pgfence.fixes.inplace import (
    CONSTRAINT_RULES,
    INDEX_RULES,
    Place,
    Refused,
    added_constraints,
    statement_fix,
    validate_statement,
)
from pgfence.fixes.text import Insertion, apply
from pgfence.model import Finding, TxScope
from pgfence.pg.features import NOT_NULL_NOT_VALID
from pgfence.pg.transactions import runs_in_transaction

SPLIT_RULES = (
    INDEX_RULES
    | CONSTRAINT_RULES
    | {"unique-constraint-builds-index", "set-not-null-scan", "lock-held-during-long-operation"}
)
MIXED = "flyway-mixed-transaction"
_TIMEOUTS = ("lock_timeout", "statement_timeout")
_MAX_IDENTIFIER = 63


@dataclass(frozen=True)
class Cut:
    """Where a migration ends and the next begins, and what goes where."""

    index: int  # the statement, in migration.statements
    replacement: str  # what the statement (with its `;`) becomes: '' moves it away
    alone: str | None  # a migration of its own, run outside any transaction, or None
    opening: str  # the first statements of the migration after the cut
    label: str  # for the new files' names: the one of its own
    next_label: str  # and the one after the cut
    rule: str


@dataclass(frozen=True)
class NewFile:
    path: str
    text: str


def cut_for(place: Place, finding: Finding, pg_version: int) -> Cut:
    """The cut that fixes `finding` (raises Refused)."""
    if place.statement.transaction.scope is TxScope.EXPLICIT:
        raise Refused("it is inside BEGIN … COMMIT: pgfence does not cut a transaction in two")
    if place.migration.format in ("drizzle", "sqitch"):
        raise Refused(
            f"{place.migration.format} lists its migrations in its own file: create the "
            "migration with the tool, then paste the recipe"
        )
    node = place.statement.node
    original = place.text.text[place.start : place.terminator()]
    if finding.rule in INDEX_RULES:
        return _index_cut(place, finding, original)
    if finding.rule in CONSTRAINT_RULES:
        return _validate_cut(place, finding, original)
    if finding.rule == "unique-constraint-builds-index" and isinstance(node, ast.AlterTableStmt):
        return _unique_cut(place, node, finding)
    if finding.rule == "set-not-null-scan" and isinstance(node, ast.AlterTableStmt):
        return _not_null_cut(place, node, finding, pg_version)
    if finding.rule == "lock-held-during-long-operation":
        return _backfill_cut(place, finding, original)
    if finding.rule == MIXED and not runs_in_transaction(node):
        statement = original if original.rstrip().endswith(";") else original + ";"
        label = "index" if isinstance(node, ast.IndexStmt) else "alone"
        return Cut(place.index, "", statement, "", label, "continued", finding.rule)
    raise Refused("pgfence has no split for this statement")


def _rewritten(place: Place, finding: Finding, original: str, *, validate: bool = True) -> str:
    """The statement (with its `;`) as the in-place fix writes it, wherever it runs."""
    insertions = statement_fix(place, finding, check_scope=False, validate=validate)
    shifted = [
        Insertion(i.offset - place.start, i.text, i.rule)
        for i in insertions
        if place.start <= i.offset <= place.start + len(original)
    ]
    text = apply(original, shifted)
    return text if text.rstrip().endswith(";") else text + ";"


def _index_cut(place: Place, finding: Finding, original: str) -> Cut:
    return Cut(
        place.index,
        "",
        _rewritten(place, finding, original),
        "",
        "index" if isinstance(place.statement.node, ast.IndexStmt) else "drop_index",
        "continued",
        finding.rule,
    )


def _validate_cut(place: Place, finding: Finding, original: str) -> Cut:
    node = place.statement.node
    if not isinstance(node, ast.AlterTableStmt):
        raise Refused("pgfence has no split for this statement")
    replacement = _rewritten(place, finding, original, validate=False)
    opening = "\n".join(validate_statement(node, c) for c in added_constraints(node, finding.rule))
    return Cut(place.index, replacement, None, opening, "", "validate", finding.rule)


def _backfill_cut(place: Place, finding: Finding, original: str) -> Cut:
    """The long statement starts the next migration: the locks taken before it are
    released at the cut (expand), the long work runs after it (backfill)."""
    if place.statement.transaction.scope is not TxScope.RUNNER:
        raise Refused("pgfence has no split for this statement")
    statement = original if original.rstrip().endswith(";") else original + ";"
    return Cut(place.index, "", None, statement, "", "backfill", finding.rule)


def _relation(node: ast.AlterTableStmt) -> ast.RangeVar:
    if node.relation is None:
        raise Refused("pgfence has no split for this statement")
    return node.relation


def _name(text: str) -> str:
    return str(maybe_double_quote_name(text))


def _unique_cut(place: Place, node: ast.AlterTableStmt, finding: Finding) -> Cut:
    cmds = node.cmds or ()
    con = cmds[0].def_ if len(cmds) == 1 else None
    if not (
        isinstance(con, ast.Constraint)
        and cmds[0].subtype == AlterTableType.AT_AddConstraint
        and con.contype == ConstrType.CONSTR_UNIQUE
    ):
        raise Refused("split needs the UNIQUE constraint alone in its ALTER TABLE")
    if not con.conname:
        raise Refused("name the constraint (ADD CONSTRAINT name UNIQUE …) to split it")
    if con.deferrable or con.including or con.options or con.nulls_not_distinct or con.indexspace:
        raise Refused("USING INDEX cannot carry this constraint's options: see the recipe")
    relation = _relation(node)
    if not relation.inh:
        raise Refused("ALTER TABLE ONLY: a partitioned table's index is built per partition")
    table = str(RawStream()(relation))
    columns = ", ".join(_name(k.sval) for k in con.keys or ())
    name = _name(con.conname)
    build = f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns});"
    attach = f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name};"
    return Cut(place.index, "", build, attach, "unique_index", "add_unique", finding.rule)


def _not_null_cut(place: Place, node: ast.AlterTableStmt, finding: Finding, pg_version: int) -> Cut:
    cmds = node.cmds or ()
    if len(cmds) != 1 or cmds[0].subtype != AlterTableType.AT_SetNotNull:
        raise Refused("split needs SET NOT NULL alone in its ALTER TABLE")
    column = cmds[0].name
    relation = _relation(node)
    name = f"{relation.relname}_{column}_not_null"
    if len(name.encode()) > _MAX_IDENTIFIER:
        raise Refused(f"the constraint name {name} would be longer than 63 bytes")
    table, c, n = str(RawStream()(relation)), _name(column), _name(name)
    if NOT_NULL_NOT_VALID.on(pg_version):
        add = f"ALTER TABLE {table} ADD CONSTRAINT {n} NOT NULL {c} NOT VALID;"
        after = f"ALTER TABLE {table} VALIDATE CONSTRAINT {n};"
    else:
        add = f"ALTER TABLE {table} ADD CONSTRAINT {n} CHECK ({c} IS NOT NULL) NOT VALID;"
        after = "\n".join(
            (
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {n};",
                f"ALTER TABLE {table} ALTER COLUMN {c} SET NOT NULL;",
                f"ALTER TABLE {table} DROP CONSTRAINT {n};",
            )
        )
    return Cut(place.index, add, None, after, "", "validate_not_null", finding.rule)


# ---- cutting a file --------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    kind: str  # "head" (the original file), "alone", "next"
    body: str
    label: str


def cut_file(places: Sequence[Place], cuts: Sequence[Cut]) -> list[Piece]:
    """The original's text cut at `cuts`: the head first, then each cut's migrations.

    A statement moved away takes the comments just above it along (Prisma's
    `-- CreateIndex`); one rewritten where it is keeps them.
    """
    by_index = {p.index: p for p in places}
    text = places[0].text
    nl = text.newline
    body_end = _body_end(places[0])
    pieces: list[Piece] = []
    current, pos, kind, label, opened = "", 0, "head", "head", False
    for cut in sorted(cuts, key=lambda c: c.index):
        place = by_index[cut.index]
        floor = max(pos, _end_before(places, cut.index))
        comments = place.start
        if not cut.replacement:
            comments = text.before_comments(place.start, floor)
        current += text.text[pos:comments] + cut.replacement
        pieces.append(Piece(kind, _ended(current, nl), label))
        moved = text.text[comments : place.start]
        if cut.alone is not None:
            pieces.append(Piece("alone", _ended(moved + cut.alone, nl), cut.label))
            moved = ""
        opened = bool(cut.opening)
        opening = [*_timeouts_in_force(places, cut.index), *moved.splitlines()]
        opening += cut.opening.splitlines()
        current = "".join(line + nl for line in opening if line)
        pos, kind, label = place.terminator(), "next", cut.next_label
        while text.text.startswith(("\r\n", "\n"), pos) and current:
            pos += 2 if text.text.startswith("\r\n", pos) else 1  # no blank line at its top
        if not current:
            pos = len(text.text) - len(text.text[pos:].lstrip("\r\n"))
    rest = text.text[pos:body_end]
    said = [t for t in text.tokens(pos, body_end) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    if kind == "head" or opened or said:  # a piece with nothing to run is left out
        pieces.append(Piece(kind, _ended(current + rest, nl), label))
    if body_end < len(text.text):  # dbmate: the down section stays with the original
        head = pieces[0]
        pieces[0] = Piece(head.kind, head.body + text.text[body_end:], head.label)
    return pieces


def _ended(body: str, newline: str) -> str:
    return body if not body.strip() or body.endswith("\n") else body + newline


def _end_before(places: Sequence[Place], index: int) -> int:
    before = [p for p in places if p.index < index]
    return before[-1].terminator() if before else 0


_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)


def _body_end(place: Place) -> int:
    text = place.text.text
    if place.migration.format == "dbmate":
        down = _DBMATE_DOWN.search(text)
        if down is not None:
            return down.start()
    return len(text)


def _timeouts_in_force(places: Sequence[Place], index: int) -> list[str]:
    """The timeout SETs in force before statement `index`, as the file wrote them."""
    latest: dict[str, str | None] = {}
    for place in places:
        if place.index >= index:
            break
        node = place.statement.node
        if isinstance(node, ast.VariableSetStmt):
            name = (node.name or "").lower()
            if name in _TIMEOUTS:
                latest[name] = place.statement.sql + ";" if node.args else None
            elif not name:  # RESET ALL
                latest.clear()
    return [sql for sql in latest.values() if sql is not None]


# ---- names, the way each tool names its migrations ------------------------------------


def new_files(path: str, fmt: str, pieces: Sequence[Piece]) -> tuple[str, list[NewFile]]:
    """The head's text, and the files of the other pieces, named after `path`."""
    later = pieces[1:]
    names = _names(path, fmt, [p.label for p in later])
    files = []
    for piece, name in zip(later, names, strict=True):
        files.extend(_wrapped(fmt, name, piece, path))
    return pieces[0].body, files


def _names(path: str, fmt: str, labels: list[str]) -> list[str]:
    folder, base = os.path.split(path)
    numbered = [f"{n}_{label}" for n, label in enumerate(labels, start=2)]
    if fmt == "prisma":  # <timestamp>_<name>/migration.sql: folders sort by name
        parent, name = os.path.split(folder)
        return [os.path.join(parent, f"{name}_{suffix}", base) for suffix in numbered]
    if fmt == "flyway":
        return _flyway_names(folder, base, labels)
    if fmt in ("golang-migrate", "dbmate"):
        return _numbered_names(folder, base, fmt, labels)
    stem, ext = os.path.splitext(base)
    return [os.path.join(folder, f"{stem}_{suffix}{ext or '.sql'}") for suffix in numbered]


_FLYWAY = re.compile(r"^V(\d+(?:[._]\d+)*)__(.+)\.sql$", re.IGNORECASE)


def _flyway_names(folder: str, base: str, labels: list[str]) -> list[str]:
    found = _FLYWAY.match(base)
    if found is None:
        raise Refused("a Flyway repeatable script (R__) has no version to come after")
    version, description = found.group(1), found.group(2)
    parts = tuple(int(p) for p in re.split(r"[._]", version))
    taken = _flyway_versions(folder)
    names = []
    for n, label in enumerate(labels, start=1):
        new = (*parts, n)
        if any(parts < v <= new for v in taken):
            raise Refused(f"Flyway version {'.'.join(map(str, new))} is taken or passed")
        names.append(os.path.join(folder, f"V{version}.{n}__{description}_{label}.sql"))
    return names


def _flyway_versions(folder: str) -> list[tuple[int, ...]]:
    versions = []
    for name in os.listdir(folder or "."):
        found = _FLYWAY.match(name)
        if found:
            versions.append(tuple(int(p) for p in re.split(r"[._]", found.group(1))))
    return versions


_LEADING_NUMBER = re.compile(r"^(\d+)(_.*)$")


def _numbered_names(folder: str, base: str, fmt: str, labels: list[str]) -> list[str]:
    """golang-migrate and dbmate: a version number, unique, compared as a number."""
    found = _LEADING_NUMBER.match(base)
    if found is None:
        raise Refused(f"{base} has no leading version number")
    digits, rest = found.group(1), found.group(2)
    version = int(digits)
    taken = sorted(
        int(m.group(1))
        for name in os.listdir(folder or ".")
        if (m := _LEADING_NUMBER.match(name)) and int(m.group(1)) > version
    )
    following = taken[0] if taken else None
    suffix = ".up.sql" if fmt == "golang-migrate" else ".sql"
    stem = rest[: -len(suffix)] if rest.endswith(suffix) else os.path.splitext(rest)[0]
    names = []
    for n, label in enumerate(labels, start=1):
        if following is not None and version + n >= following:
            raise Refused(
                f"no free version between {digits} and the next migration's {following}: "
                "renumber, or split by hand"
            )
        number = str(version + n).zfill(len(digits))
        names.append(os.path.join(folder, f"{number}{stem}_{label}{suffix}"))
    return names


def _wrapped(fmt: str, name: str, piece: Piece, original: str) -> list[NewFile]:
    body = piece.body.lstrip("\r\n")
    if fmt == "dbmate":
        marker = "-- migrate:up transaction:false" if piece.kind == "alone" else "-- migrate:up"
        down = f"-- migrate:down\n-- nothing: {os.path.basename(original)} reverts this\n"
        return [NewFile(name, f"{marker}\n{body.rstrip()}\n\n{down}")]
    files = [NewFile(name, body)]
    if fmt == "golang-migrate":
        down_name = name[: -len(".up.sql")] + ".down.sql"
        undo = os.path.basename(original).replace(".up.sql", ".down.sql")
        files.append(NewFile(down_name, f"-- nothing: {undo} reverts what this did\n"))
    return files


def check_free(files: Sequence[NewFile]) -> None:
    """Never overwrite: a name that exists is refused."""
    for file in files:
        if Path(file.path).exists():
            raise Refused(f"{file.path} already exists")
