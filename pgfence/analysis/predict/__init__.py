"""Static prediction: which locks a parsed statement takes, per Postgres major version.

`classify` decides which rows of the lock table (locktable.py) a statement matches and
which relations fill each row's roles; `predict` turns that into a Prediction. No lock
mode is written in this module except LOCK TABLE's own: the modes are the table's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.predict import alter_table, ddl, dml, objects  # noqa: F401 - registration
from pgfence.analysis.predict.core import Context, Match, classifies, classify
from pgfence.model import LockOnRelation, Prediction, RelKind, Statement
from pgfence.pg.features import PLANNER_LOCKS_PARTITIONED_INDEXES
from pgfence.pg.locks import LockMode, conflicts
from pgfence.pg.locktable import LockRow, row_for
from pgfence.pg.rows import Row
from pgfence.pg.versions import NEWEST

__all__ = [
    "Context",
    "Match",
    "build_prediction",
    "classifies",
    "classify",
    "predict",
]


def predict(
    statement: Statement, catalog: Catalog, version: int = NEWEST, *, block: object = None
) -> Prediction:
    """Predict one statement's locks; the catalog is *not* updated (call catalog.apply)."""
    if statement.node is None:
        return Prediction(analysable=False, notes=("does not parse",))
    matches = classify(statement.node, catalog, version)
    if matches is None:
        kind = type(statement.node).__name__
        return Prediction(analysable=False, notes=(f"pgfence does not know what {kind} locks",))
    return build_prediction(matches, catalog, version, block)


def build_prediction(
    matches: list[Match], catalog: Catalog, version: int, block: object = None
) -> Prediction:
    locks: dict[tuple[str, LockMode], LockOnRelation] = {}
    rewrites: list[str] = []
    scans: list[str] = []
    rows: list[str] = []
    notes: list[str] = []
    unavailable: list[str] = []
    unknown: list[str] = []
    parents: dict[str, str] = {}  # inheritance children the catalog does not link
    analysable = True
    transactional = True
    for match in matches:
        notes.extend(match.notes)
        unavailable.extend(match.unavailable)
        if match.key == "unanalysable":
            analysable = False
            continue
        row = row_for(match.key, version)
        if row is None:
            notes.append(f"{match.key} does not exist on PostgreSQL {version}")
            unavailable.append(match.key)
            continue
        rows.append(row.key)
        transactional = transactional and row.transactional
        if row.key == Row.ALTER_TABLE__NO_INHERIT:
            for child in match.roles.get("target", []):
                for parent in match.roles.get("parent", []):
                    parents[child] = parent
        for relation, missing in _unknown_roles(row, match, catalog):
            if relation not in unknown:
                unknown.append(relation)
            notes.append(
                f"{relation} is not in the known schema: {', '.join(missing)} unknown "
                "(give --schema)"
            )
        for role, mode in row.locks:
            for relation in match.roles.get(role, []):
                if role == "target-indexes" and _skipped_partitioned_index(
                    row, relation, catalog, version
                ):
                    continue
                chosen = match.mode if match.mode is not None and role == "target" else mode
                lock = _lock(relation, chosen, role, catalog, block)
                if role == "toast-index" and lock.table is None and match.roles.get("target"):
                    # Named after an OID: its table is the one whose TOAST it indexes.
                    lock = replace(lock, table=_toast_owner(match))
                locks.setdefault((relation, chosen), lock)
        for role in row.rewrite:
            rewrites.extend(
                r
                for r in match.roles.get(role, [])
                if r not in rewrites and r not in match.unchanged and not _no_storage(r, catalog)
            )
        for role in row.scan:
            scans.extend(r for r in match.roles.get(role, []) if r not in scans)
    kinds = {lock.relation: lock.kind for lock in locks.values()}
    dominant = _dominant(locks.values())
    return Prediction(
        locks=dominant,
        reads_blocked_on=blocked_tables(dominant, LockMode.ACCESS_SHARE, catalog, parents),
        writes_blocked_on=blocked_tables(dominant, LockMode.ROW_EXCLUSIVE, catalog, parents),
        rewrites=tuple(rewrites),
        rebuilds=tuple(r for r in rewrites if _is_index(r, kinds, catalog)),
        scans=tuple(scans),
        rows=tuple(dict.fromkeys(rows)),
        analysable=analysable,
        notes=tuple(dict.fromkeys(notes)),
        transactional=transactional,
        unavailable=tuple(dict.fromkeys(unavailable)),
        unknown=tuple(unknown),
    )


# Roles filled from the schema with relations other than the one named, whose readers or
# writers the statement may block: unknown when the named relation is not in the catalog.
_SCHEMA_ROLES = {
    "target-partitions": "its partitions",
    "default-partition": "its DEFAULT partition",
    "referencing": "the tables whose foreign keys reference it",
    "referenced-partitions": "the partitions of the table it references",
    "cascaded": "the tables its foreign keys' ON DELETE / ON UPDATE actions write",
    "dependents": "what CASCADE drops with it",
}


def _unknown_roles(row: LockRow, match: Match, catalog: Catalog) -> list[tuple[str, list[str]]]:
    """(relation, what of it is unknown) for the relations the statement names that the
    catalog does not know: pgfence says so rather than guess that nothing else is locked."""
    if catalog.complete:
        return []
    wanted = list(dict.fromkeys(role for role, _ in row.locks if role in _SCHEMA_ROLES))
    if not wanted:
        return []
    out = []
    for relation in match.roles.get("target", []) + match.roles.get("parent", []):
        if relation.startswith("(") or catalog.kind_of(relation) is not RelKind.UNKNOWN:
            continue
        missing = [_SCHEMA_ROLES[role] for role in wanted if not match.roles.get(role)]
        if missing:
            out.append((relation, missing))
    return out


def _toast_owner(match: Match) -> str:
    return match.roles["target"][0]


def blocked_tables(
    locks: Iterable[LockOnRelation],
    wanted: LockMode,
    catalog: Catalog | None = None,
    parents: dict[str, str] | None = None,
) -> tuple[str, ...]:
    """The tables whose `wanted` lock (a reader's ACCESS SHARE, a writer's ROW EXCLUSIVE)
    these locks keep out: an index's (or TOAST relation's) for its table, a partition's
    or inheritance child's for its ancestors too (a query of the parent reads it, and
    LOCK TABLE recurses to it). Sequences are left out: nextval() waits, no table."""
    out: set[str] = set()
    for lock in locks:
        if lock.blocks_nobody or wanted not in conflicts(lock.mode):
            continue
        if lock.kind is RelKind.SEQUENCE:
            continue
        if lock.kind.is_index_or_toast:
            # Its table's readers (the planner opens the index); the probe measures a
            # parent's readers by its own lock and indexes only (LOCK TABLE recurses to
            # the partitions' table locks, not to their indexes): measured on 14-18.
            if lock.table and not lock.table.startswith("("):
                out.add(lock.table)
            continue
        relation = lock.relation
        if relation.startswith(("pg_toast.", "(")):
            continue
        seen: set[str] = set()
        while relation and relation not in seen:
            seen.add(relation)
            out.add(relation)
            table = catalog.table(relation) if catalog is not None else None
            parent = table.parent if table is not None else None
            relation = parent or (parents or {}).get(relation, "")
    return tuple(sorted(out))


def _is_index(relation: str, kinds: dict[str, RelKind], catalog: Catalog) -> bool:
    kind = kinds.get(relation) or catalog.kind_of(relation)
    if kind is RelKind.UNKNOWN:
        # A TOAST table's index is named after the table's OID: pg_toast.pg_toast_N_index.
        return relation.startswith("pg_toast.") and relation.endswith("_index")
    return kind in (RelKind.INDEX, RelKind.PARTITIONED_INDEX)


_NO_STORAGE = (RelKind.PARTITIONED_TABLE, RelKind.PARTITIONED_INDEX, RelKind.VIEW)


def _no_storage(relation: str, catalog: Catalog) -> bool:
    """A partitioned table or index has no files to rewrite: its partitions' are (measured
    on 14-18: ALTER TYPE, TRUNCATE, ADD COLUMN with a volatile default)."""
    return catalog.kind_of(relation) in _NO_STORAGE


_PLANNED = frozenset({Row.SELECT, Row.SELECT__FOR_UPDATE, Row.UPDATE, Row.DELETE, Row.MERGE})


def _skipped_partitioned_index(row: LockRow, relation: str, catalog: Catalog, version: int) -> bool:
    """Rows that rewrite, or only read, the target leave a partitioned index alone (the
    partitions' indexes are rebuilt or read instead); dropping the table drops it. The
    planner opens a partitioned table's own indexes from PG 16 on (measured: 14 and 15
    lock only the partitions' indexes)."""
    if catalog.kind_of(relation) is not RelKind.PARTITIONED_INDEX:
        return False
    if row.key in _PLANNED:
        return not PLANNER_LOCKS_PARTITIONED_INDEXES.on(version)
    return "target-indexes" in row.rewrite or row.key == Row.ANALYZE


def _lock(
    relation: str, mode: LockMode, role: str, catalog: Catalog, block: object
) -> LockOnRelation:
    kind = catalog.kind_of(relation)
    if kind is RelKind.UNKNOWN:
        kind = {
            "index": RelKind.INDEX,
            "rebuilt-index": RelKind.INDEX,
            "target-indexes": RelKind.INDEX,
            "toast-index": RelKind.INDEX,
            "sequence": RelKind.SEQUENCE,
        }.get(role, RelKind.TABLE)
    table = (
        catalog.table_of_index(relation)
        if kind in (RelKind.INDEX, RelKind.PARTITIONED_INDEX)
        else None
    )
    new = role == "new" or catalog.created_in(relation, block)
    return LockOnRelation(relation, mode, kind, role, table, new)


def _dominant(locks: Iterable[LockOnRelation]) -> tuple[LockOnRelation, ...]:
    """Per relation, drop modes whose conflicts another held mode already covers."""
    by_relation: dict[str, list[LockOnRelation]] = {}
    for lock in locks:
        by_relation.setdefault(lock.relation, []).append(lock)
    out: list[LockOnRelation] = []
    for relation_locks in by_relation.values():
        for lock in relation_locks:
            covered = any(
                other.mode != lock.mode and conflicts(lock.mode) <= conflicts(other.mode)
                for other in relation_locks
            )
            if not covered:
                out.append(lock)
    return tuple(
        sorted(
            out, key=lambda lock: (lock.new, lock.kind != RelKind.TABLE, lock.relation, lock.mode)
        )
    )
