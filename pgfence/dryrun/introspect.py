"""Reading a live database: its schema (for the prediction), its relation files, its locks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg

from pgfence.analysis.catalog import UTC_NAMES, Catalog, Column, Constraint, Index, Table
from pgfence.analysis.types import TypeRef, decode_typmod
from pgfence.dryrun import queries
from pgfence.dryrun.session import MigrationSession, PreparingSession
from pgfence.model import ObservedLock, RelKind
from pgfence.pg.locks import LockMode

T = TypeVar("T")


def load_catalog(conn: psycopg.Connection) -> Catalog:
    """The schema as this session sees it, for the static prediction."""
    catalog = Catalog(complete=True)
    relations = conn.execute(queries.CATALOG_RELATIONS).fetchall()
    for name, relkind, parent, _, toast in relations:
        kind = RelKind.from_pg_relkind(relkind)
        if relkind == "S":
            catalog.sequences.add(name)
        elif relkind == "v":
            catalog.views[name] = kind
        else:
            catalog.tables[name] = Table(name=name, kind=kind, parent=parent, toast=toast)
    for name, _, parent, is_default, _ in relations:  # partitions, once every table is known
        if parent and parent in catalog.tables:
            catalog.tables[parent].partitions.append(name)
            if is_default:
                catalog.tables[parent].default_partition = name
    for (
        table,
        column,
        typname,
        typmod,
        not_null,
        is_array,
        type_schema,
        identity,
        generated,
    ) in conn.execute(queries.CATALOG_COLUMNS):
        if table in catalog.tables:
            schema = None if type_schema == "pg_catalog" else type_schema
            type_ref = TypeRef.of(typname, decode_typmod(typname, typmod), is_array, schema)
            catalog.tables[table].columns[column] = Column(
                column, type_ref, not_null, identity=identity, generated=generated or ""
            )
    for (
        index,
        table,
        columns,
        unique,
        primary,
        used,
        partial_or_expression,
    ) in conn.execute(queries.CATALOG_INDEXES):
        other = tuple(c for c in used if c not in columns)
        catalog.add_index(
            Index(
                index,
                table,
                tuple(columns),
                unique,
                primary,
                other_columns=other,
                partial_or_expression=partial_or_expression,
            )
        )
    for (
        table,
        name,
        kind,
        columns,
        validated,
        is_not_null_check,
        referenced,
        on_delete,
        on_update,
    ) in conn.execute(queries.CATALOG_CONSTRAINTS):
        if table in catalog.tables:
            proves = columns[0] if is_not_null_check and len(columns) == 1 else None
            catalog.tables[table].constraints[name] = Constraint(
                name,
                kind,
                tuple(columns),
                validated,
                proves,
                referenced,
                on_delete=(on_delete or "a").strip() or "a",
                on_update=(on_update or "a").strip() or "a",
            )
    for key, key_kind, dependent in conn.execute(queries.CATALOG_DEPENDENTS):
        prefix = "" if key_kind == "relation" else f"{key_kind}:"
        catalog.add_dependent(prefix + key, dependent)
    for domain, base, typmod, constrained in conn.execute(queries.CATALOG_DOMAINS):
        catalog.domains[domain] = (TypeRef.of(base, decode_typmod(base, typmod)), constrained)
    for publication, table in conn.execute(queries.CATALOG_PUBLICATIONS):
        catalog.publications.setdefault(publication, set()).add(table)
    for table, sequence, column in conn.execute(queries.OWNED_SEQUENCES):
        if table in catalog.tables:
            catalog.tables[table].sequences.append(sequence)
            if column in catalog.tables[table].columns:
                catalog.tables[table].columns[column].sequence = sequence
    row = conn.execute(queries.SEARCH_PATH).fetchone()
    if row is not None:
        schemas, timezone = row
        catalog.search_path = tuple(s for s in schemas if s != "pg_catalog") or ("public",)
        catalog.utc_session = str(timezone).upper() in UTC_NAMES
    catalog.settle()
    return catalog


@dataclass(frozen=True)
class RelationFile:
    oid: int
    filenode: int
    name: str
    relkind: str
    table: str | None  # for an index or TOAST table: the table it belongs to


def relation_files(
    conn: psycopg.Connection, oids: set[int] | None = None, *, prepare: bool = False
) -> dict[int, RelationFile]:
    """User relations and their data files as `conn` sees them (all, or those in `oids`).

    `prepare`: on pgfence's own probe session, after every statement of a transaction
    (planning the query cost more than running it for a few OIDs)."""
    rows: Iterable[tuple[Any, ...]]
    if oids is None:
        rows = conn.execute(queries.RELATION_FILES, ())  # () so that %% reads as %
    elif not oids:
        return {}
    elif isinstance(conn, PreparingSession) and (prepare or isinstance(conn, MigrationSession)):
        # (psycopg's preparing is off on the migration's session)
        rows = conn.run_prepared(queries.RELATION_FILES_BY_OID, [_array([str(o) for o in oids])])
    else:
        rows = conn.execute(
            queries.RELATION_FILES_BY_OID, (sorted(oids),), prepare=True if prepare else None
        )
    return {
        oid: RelationFile(oid, filenode, name, relkind, table)
        for oid, filenode, name, relkind, table in rows
    }


# (oid, file node, name, relkind, the table an index is on, the TOAST table of a table)
FileNodeRow = tuple[Any, ...]


def _named(
    conn: psycopg.Connection, rows: Sequence[FileNodeRow], known: Mapping[int, RelationFile]
) -> dict[int, RelationFile]:
    """Rows of CHANGED_RELATION_FILENODES (file, name, kind, the table an index is on, the
    TOAST table a table has) as RelationFiles.

    `known`: relations as seen earlier, whose table (for an index or TOAST table) is taken
    from there. The table of a relation not known yet is found among the rows (an index
    on, or the TOAST table of, a table the statement also locks), else asked for with the
    full query.
    """
    tables: dict[int, str] = {
        oid: name for oid, _, name, relkind, _, _ in rows if relkind not in _INDEX_OR_TOAST
    }
    toast_of: dict[int, int] = {toast: oid for oid, _, _, _, _, toast in rows if toast}

    def table_of(oid: int) -> str | None:
        """The user's table behind relation `oid` (itself, or the table of its TOAST)."""
        if oid in toast_of:
            return tables.get(toast_of[oid])
        if oid in tables:
            return tables[oid]
        if oid in known:
            return known[oid].table if known[oid].relkind == "t" else known[oid].name
        return None

    out: dict[int, RelationFile] = {}
    unknown: set[int] = set()
    for oid, filenode, name, relkind, index_on, _ in rows:
        if relkind == "t":
            table = tables.get(toast_of.get(oid, 0))
        elif relkind in ("i", "I"):
            table = table_of(index_on)
        else:
            table = None
        if table is None and oid in known:
            table = known[oid].table
        if table is None and relkind in _INDEX_OR_TOAST:
            unknown.add(oid)
        elif relkind in _USER_RELKINDS and not name.startswith(("pg_temp", "pg_toast_temp")):
            out[oid] = RelationFile(oid, filenode, name, relkind, table)
    if unknown:
        out.update(relation_files(conn, unknown))
    return out


class SeenRelations:
    """Relations as the migration session saw them after the last statement, with what
    CHANGED_RELATION_FILENODES is told about each written once: a long transaction asks
    after every statement, and writing the question anew each time cost more than the
    answer."""

    def __init__(self, files: Mapping[int, RelationFile] | None = None) -> None:
        self.files: dict[int, RelationFile] = {}
        self._told: dict[int, tuple[str, str, str]] = {}
        self.update(files or {})

    def update(self, files: Mapping[int, RelationFile]) -> None:
        for oid, file in files.items():
            self.files[oid] = file
            self._told[oid] = (str(oid), str(file.filenode), _array_element(file.name))

    def discard(self, oid: int) -> None:
        self.files.pop(oid, None)
        self._told.pop(oid, None)

    def question(self, asked: list[int]) -> tuple[str, str, str]:
        """Array literals of the OIDs, file nodes and names seen, then of `asked` (-1, '')."""
        told = self._told.values()
        oids = [oid for oid, _, _ in told] + [str(oid) for oid in asked]
        filenodes = [filenode for _, filenode, _ in told] + ["-1"] * len(asked)
        names = [name for _, _, name in told] + ['""'] * len(asked)
        return _array(oids), _array(filenodes), _array(names)


def _array(elements: list[str]) -> str:
    return "{" + ",".join(elements) + "}"


def _array_element(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Up to this many relations held, the change check runs prepared, on its generic plan;
# past it, planned for its size. Up to LOOKED_UP_UP_TO relations seen, it is the form that
# looks each relation up by index, run while the probe reads the locks
# (`changed_files_meanwhile`: 0.04 ms for a few, 3.4 us more each); past it, a hash join
# over all of pg_class (0.2 ms and more, growing with the schema, less than 3.4 us a
# relation): bench/history.py.
PREPARED_UP_TO = 1000
LOOKED_UP_UP_TO = 100


def changed_files(
    conn: psycopg.Connection,
    seen: SeenRelations,
    fresh: set[int],
    known: Mapping[int, RelationFile],
) -> tuple[dict[int, RelationFile], set[int]]:
    """What changed as `conn` sees it: the relations of `fresh` (not seen yet) and those
    seen whose file node or name is not what it was; and the OIDs of those seen now gone.

    One round trip whatever was seen: the server compares, and only what changed comes
    back (`known`: as for `_named`).
    """
    asked = [oid for oid in sorted(fresh) if oid >= FIRST_USER_OID and oid not in seen.files]
    if not seen.files and not asked:
        return {}, set()
    question = seen.question(asked)
    if isinstance(conn, MigrationSession) and len(seen.files) + len(asked) <= PREPARED_UP_TO:
        rows = conn.run_prepared(queries.CHANGED_RELATION_FILENODES, question)
    else:
        rows = conn.execute(queries.CHANGED_RELATION_FILENODES, question).fetchall()
    return _changes(conn, rows, seen, known)


def changed_files_meanwhile(
    conn: MigrationSession,
    seen: SeenRelations,
    known: Mapping[int, RelationFile],
    meanwhile: Callable[[], T],
) -> tuple[dict[int, RelationFile], set[int], T]:
    """`changed_files` of what `conn` has seen and of every relation it holds a lock on
    not seen yet (read from its own locks), run while `meanwhile` runs: its result too.
    `known` is read once `meanwhile` is over (it may add to it)."""
    question = seen.question([])
    query = queries.CHANGED_OR_NEWLY_LOCKED_BY_OID
    with conn.prepared_meanwhile(query, (*question, question[0])) as answer:
        result = meanwhile()
    return (*_changes(conn, answer.rows, seen, known), result)


def changed_seen_meanwhile(
    conn: MigrationSession,
    seen: SeenRelations,
    known: Mapping[int, RelationFile],
    fresh: Callable[[T], set[int]],
    meanwhile: Callable[[], T],
) -> tuple[dict[int, RelationFile], set[int], T]:
    """`changed_files` for a transaction that has seen more than LOOKED_UP_UP_TO (and up
    to PREPARED_UP_TO) relations: what was seen is compared while `meanwhile` runs (the
    probe's read of the locks), then the relations `fresh(result)` names, locked for the
    first time, are asked on their own, if there are any (they are few: a statement's).
    The same answer as `changed_files` of those, one round trip's wait less."""
    question = seen.question([])
    with conn.prepared_meanwhile(queries.CHANGED_RELATION_FILENODES, question) as answer:
        result = meanwhile()
    now, gone = _changes(conn, answer.rows, seen, known)
    asked = [
        oid for oid in sorted(fresh(result)) if oid >= FIRST_USER_OID and oid not in seen.files
    ]
    if asked:
        nothing_seen = SeenRelations()
        question = nothing_seen.question(asked)
        rows = conn.run_prepared(queries.CHANGED_RELATION_FILENODES, question)
        now.update(_changes(conn, rows, nothing_seen, known)[0])
    return now, gone, result


def _changes(
    conn: psycopg.Connection,
    rows: Sequence[FileNodeRow],
    seen: SeenRelations,
    known: Mapping[int, RelationFile],
) -> tuple[dict[int, RelationFile], set[int]]:
    """Rows of a change check as (what changed, the OIDs seen that are gone)."""
    gone = {row[0] for row in rows if row[2] is None and row[0] in seen.files}
    return _named(conn, [row for row in rows if row[2] is not None], known), gone


_INDEX_OR_TOAST = frozenset("iIt")
_USER_RELKINDS = frozenset("rpiIStmvf")  # as RELATION_FILES counts them


def rewritten(
    before: dict[int, RelationFile], after: dict[int, RelationFile]
) -> list[RelationFile]:
    """Relations that existed before and got a new data file.

    An index rebuilt by dropping and creating it again (REINDEX CONCURRENTLY, ALTER
    COLUMN TYPE) keeps its name but not its OID: it counts as rewritten when its file is
    new too (ALTER COLUMN TYPE without a rewrite hands the old file to the new index).
    """
    by_name = {f.name: f for f in after.values()}
    out = []
    for oid, old in sorted(before.items()):  # by OID: whatever order a query gave them in
        if old.filenode == 0:
            continue  # views and other relations without storage
        new = after.get(oid)
        if new is not None and new.filenode != old.filenode:
            out.append(new)
        elif new is None and old.name in by_name:
            successor = by_name[old.name]
            if successor.relkind == old.relkind and successor.filenode != old.filenode:
                out.append(successor)
    return out


@dataclass(frozen=True)
class RawLock:
    oid: int
    mode: LockMode
    granted: bool


def backend_locks(probe: psycopg.Connection, pid: int) -> list[RawLock]:
    return [
        RawLock(oid, LockMode.from_pg_name(mode), granted)
        for oid, mode, granted in _prepared(probe, queries.BACKEND_RELATION_LOCKS, pid)
        if mode in _TABLE_MODES
    ]


_TABLE_MODES = {mode.pg_name for mode in LockMode}


def backend_lock_keys(probe: psycopg.Connection, pid: int) -> set[str]:
    """The backend's relation locks, one key each, to compare with an earlier read: what
    is new is made a RawLock (`raw_lock`), the rest is never looked at."""
    rows = list(_prepared(probe, queries.BACKEND_RELATION_LOCK_KEYS, pid))
    return set(rows[0][0].split(",")) if rows and rows[0][0] else set()


def backend_lock_keys_with_files(
    probe: psycopg.Connection, pid: int
) -> tuple[set[str], dict[int, RelationFile]]:
    """`backend_lock_keys`, and each locked user relation as the probe sees it, in one
    round trip: cheaper than a second one for a transaction that holds few locks (each
    held relation is looked up again on every call)."""
    keys: set[str] = set()
    files: dict[int, RelationFile] = {}
    for oid, mode, granted, filenode, name, relkind, owner in _prepared(
        probe, queries.BACKEND_RELATION_LOCKS_WITH_FILES, pid
    ):
        keys.add(f"{oid} {mode}" if granted else f"{oid} {mode} waiting")
        if name is not None:
            files[oid] = RelationFile(oid, filenode, name, relkind, owner)
    return keys, files


def _prepared(probe: psycopg.Connection, query: str, pid: int) -> Iterable[tuple[Any, ...]]:
    """Rows of one of the probe's queries of a backend, prepared (planning them cost four
    times running them)."""
    if isinstance(probe, PreparingSession):
        return probe.run_prepared(query, [str(pid)])
    return probe.execute(query, (pid,), prepare=True)


def raw_lock(key: str) -> RawLock | None:
    """The lock of a `backend_lock_keys` key; None for a mode that is not a table lock."""
    oid, mode, *waiting = key.split(" ")
    if mode not in _TABLE_MODES:
        return None  # SIReadLock: a serializable transaction's predicate lock
    return RawLock(int(oid), LockMode.from_pg_name(mode), not waiting)


def backend_locks_with_files(
    probe: psycopg.Connection, pid: int
) -> tuple[list[RawLock], dict[int, RelationFile]]:
    """The backend's relation locks, and those relations as the probe session sees them."""
    locks: list[RawLock] = []
    files: dict[int, RelationFile] = {}
    # Prepared (the probe is pgfence's own session): planning it cost four times running it.
    for oid, mode, granted, filenode, name, relkind, owner in _prepared(
        probe, queries.BACKEND_RELATION_LOCKS_WITH_FILES, pid
    ):
        if mode not in _TABLE_MODES:
            continue
        locks.append(RawLock(oid, LockMode.from_pg_name(mode), granted))
        if name is not None:
            files[oid] = RelationFile(oid, filenode, name, relkind, owner)
    return locks, files


# OIDs below this are Postgres's own (initdb); user relations are numbered from it.
FIRST_USER_OID = 16384


def observed_locks(
    raw: list[RawLock],
    now: dict[int, RelationFile],
    before: dict[int, RelationFile],
    already_held: set[tuple[str, LockMode]],
    names: Mapping[int, RelationFile | None] | None = None,
) -> list[ObservedLock]:
    """Name the locks. `before`: the relations as other sessions saw them; `now`: as after.

    A relation that existed before keeps the name it had then, so a lock on a table the
    statement renames or drops is reported under the name the migration used for it. One
    that did not exist before is new (no other session can see it yet; this includes the
    transient heap of a rewrite, created and dropped within the statement). `names`: the
    relations as the migration's session saw them just before the statement, inside its
    transaction (a table an earlier statement renamed goes by its new name).
    """
    out = []
    for lock in raw:
        if lock.oid < FIRST_USER_OID:
            continue  # system catalogs
        file = (names or {}).get(lock.oid) or before.get(lock.oid) or now.get(lock.oid)
        relation = file.name if file else f"(transient relation {lock.oid})"
        kind = RelKind.from_pg_relkind(file.relkind) if file else RelKind.UNKNOWN
        acquired = (relation, lock.mode) not in already_held
        new = lock.oid not in before
        out.append(
            ObservedLock(
                relation, lock.mode, lock.granted, kind, file.table if file else None, new, acquired
            )
        )
    return sorted(out, key=lambda o: (o.new, o.kind is not RelKind.TABLE, o.relation, o.mode))


def relation_identifier(conn: psycopg.Connection, relation: str, oid: int | None = None) -> str:
    """`relation` ("schema.name", as pgfence names relations) quoted for SQL.

    With one dot the split is certain and no query is sent. With more (a schema or table
    name holding a dot) the server says which dot separates them: by the OID if known.
    """
    if relation.count(".") == 1:
        return quote_relation(*relation.split("."))
    query, key = (
        (queries.RELATION_IDENTIFIER_BY_OID, oid)
        if oid is not None
        else (queries.RELATION_IDENTIFIER_BY_NAME, relation)
    )
    row = conn.execute(query, (key,)).fetchone()
    if row is not None and row[0]:
        return str(row[0])
    schema, _, name = relation.partition(".")
    return quote_relation(schema, name)


def quote_relation(schema: str, name: str) -> str:
    return f"{_quote_identifier(schema)}.{_quote_identifier(name)}"


def _quote_identifier(part: str) -> str:
    return '"' + part.replace('"', '""') + '"'
