"""Static prediction: which locks a parsed statement takes, per Postgres major version.

`classify` decides which rows of the lock table (locktable.py) a statement matches and
which relations fill each row's roles; `predict` turns that into a Prediction. No lock
mode is written in this module except LOCK TABLE's own: the modes are the table's.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.predict import alter_table, ddl, dml, objects  # noqa: F401 - registration
from pgfence.analysis.predict.core import Context, Match, classifies, classify
from pgfence.model import LockOnRelation, Prediction, RelKind, Statement
from pgfence.pg.locks import LockMode, conflicts
from pgfence.pg.locktable import row_for
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
        for role, mode in row.locks:
            for relation in match.roles.get(role, []):
                chosen = match.mode if match.mode is not None and role == "target" else mode
                lock = _lock(relation, chosen, role, catalog, block)
                locks.setdefault((relation, chosen), lock)
        for role in row.rewrite:
            rewrites.extend(r for r in match.roles.get(role, []) if r not in rewrites)
        for role in row.scan:
            scans.extend(r for r in match.roles.get(role, []) if r not in scans)
    return Prediction(
        locks=_dominant(locks.values()),
        rewrites=tuple(rewrites),
        scans=tuple(scans),
        rows=tuple(dict.fromkeys(rows)),
        analysable=analysable,
        notes=tuple(dict.fromkeys(notes)),
        transactional=transactional,
        unavailable=tuple(dict.fromkeys(unavailable)),
    )


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
