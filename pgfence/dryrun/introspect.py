"""Reading a live database: its schema (for the prediction), its relation files, its locks."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from pgfence.analysis.catalog import Catalog, Column, Constraint, Index, Table
from pgfence.analysis.types import TypeRef, decode_typmod
from pgfence.dryrun import queries
from pgfence.locks import LockMode
from pgfence.model import ObservedLock, RelKind

_CHECK_NOT_NULL_PREFIX = "CHECK (("


def load_catalog(conn: psycopg.Connection) -> Catalog:
    """The schema as this session sees it, for the static prediction."""
    catalog = Catalog(complete=True)
    for name, relkind, parent, _, toast in conn.execute(queries.CATALOG_RELATIONS):
        kind = RelKind.from_pg_relkind(relkind)
        if relkind == "S":
            catalog.sequences.add(name)
        elif relkind == "v":
            catalog.views[name] = kind
        else:
            catalog.tables[name] = Table(name=name, kind=kind, parent=parent, toast=toast)
    for name, _, parent, is_default, _ in conn.execute(queries.CATALOG_RELATIONS):
        if parent and parent in catalog.tables:
            catalog.tables[parent].partitions.append(name)
            if is_default:
                catalog.tables[parent].default_partition = name
    for table, column, typname, typmod, not_null, is_array, type_schema in conn.execute(
        queries.CATALOG_COLUMNS
    ):
        if table in catalog.tables:
            schema = None if type_schema == "pg_catalog" else type_schema
            type_ref = TypeRef.of(typname, decode_typmod(typname, typmod), is_array, schema)
            catalog.tables[table].columns[column] = Column(column, type_ref, not_null)
    for index, table, columns, unique, primary in conn.execute(queries.CATALOG_INDEXES):
        catalog.add_index(Index(index, table, tuple(columns), unique, primary))
    for table, name, kind, columns, validated, check, referenced in conn.execute(
        queries.CATALOG_CONSTRAINTS
    ):
        if table in catalog.tables:
            catalog.tables[table].constraints[name] = Constraint(
                name, kind, tuple(columns), validated, _not_null_column(check, columns), referenced
            )
    for table, sequence, column in conn.execute(queries.OWNED_SEQUENCES):
        if table in catalog.tables:
            catalog.tables[table].sequences.append(sequence)
            if column in catalog.tables[table].columns:
                catalog.tables[table].columns[column].sequence = sequence
    row = conn.execute(queries.SEARCH_PATH).fetchone()
    if row is not None:
        schemas, timezone = row
        catalog.search_path = tuple(s for s in schemas if s != "pg_catalog") or ("public",)
        catalog.utc_session = str(timezone).upper() in ("UTC", "ETC/UTC", "GMT", "UCT", "ZULU")
    catalog.settle()
    return catalog


def _not_null_column(check: str | None, columns: list[str]) -> str | None:
    # pg_get_constraintdef renders CHECK (col IS NOT NULL) as "CHECK ((col IS NOT NULL))".
    if not check or len(columns) != 1:
        return None
    body = check.removeprefix(_CHECK_NOT_NULL_PREFIX).removesuffix("))")
    column = columns[0]
    if body in (f"{column} IS NOT NULL", f'"{column}" IS NOT NULL'):
        return column
    return None


@dataclass(frozen=True)
class RelationFile:
    oid: int
    filenode: int
    name: str
    relkind: str
    table: str | None  # for an index or TOAST table: the table it belongs to


def relation_files(conn: psycopg.Connection) -> dict[int, RelationFile]:
    return {
        oid: RelationFile(oid, filenode, name, relkind, table)
        for oid, filenode, name, relkind, table in conn.execute(queries.RELATION_FILES)
    }


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
    for oid, old in before.items():
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
        for oid, mode, granted in probe.execute(queries.BACKEND_RELATION_LOCKS, (pid,))
        if mode in _TABLE_MODES
    ]


_TABLE_MODES = {mode.pg_name for mode in LockMode}


@dataclass(frozen=True)
class RelationName:
    name: str
    kind: RelKind
    table: str | None
    system: bool


def resolve(conns: list[psycopg.Connection], oids: set[int]) -> dict[int, RelationName]:
    """Names for relation OIDs, asking each session in turn.

    The migration's own session sees relations its uncommitted transaction created, which
    no other session can see yet.
    """
    names: dict[int, RelationName] = {}
    for conn in conns:
        missing = sorted(oids - names.keys())
        if not missing:
            break
        for oid, schema, relname, relkind, table in conn.execute(
            queries.RELATIONS_BY_OID, (missing,)
        ):
            system = schema in ("pg_catalog", "information_schema") or (
                schema == "pg_toast" and (table is None or table.split(".")[0] in ("pg_catalog",))
            )
            names[oid] = RelationName(
                f"{schema}.{relname}", RelKind.from_pg_relkind(relkind), table, system
            )
    return names


def observed_locks(
    raw: list[RawLock],
    names: dict[int, RelationName],
    before: dict[int, RelationFile],
    already_held: set[tuple[str, LockMode]],
) -> list[ObservedLock]:
    """Name the locks; a relation that did not exist before the statement is new.

    A relation that existed before keeps the name it had then, so a lock on a table the
    statement renames or drops is reported under the name the migration used for it. One
    created and dropped within the statement (the transient heap of a rewrite) is new.
    """
    out = []
    for lock in raw:
        name = names.get(lock.oid)
        if lock.oid in before:
            old = before[lock.oid]
            system = name.system if name is not None else False
            name = RelationName(old.name, RelKind.from_pg_relkind(old.relkind), old.table, system)
        if name is not None and name.system:
            continue
        relation = name.name if name else f"(transient relation {lock.oid})"
        kind = name.kind if name else RelKind.UNKNOWN
        acquired = (relation, lock.mode) not in already_held
        new = lock.oid not in before
        out.append(
            ObservedLock(
                relation, lock.mode, lock.granted, kind, name.table if name else None, new, acquired
            )
        )
    return sorted(out, key=lambda o: (o.new, o.kind is not RelKind.TABLE, o.relation, o.mode))
