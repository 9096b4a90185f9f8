"""The eight Postgres table-level lock modes and what they block.

Every question of the form "does this lock block reads?" is answered here, from the
conflict matrix of the Postgres documentation ("Table-Level Lock Modes"), which has not
changed between Postgres 9.x and 18.
"""

from __future__ import annotations

from enum import IntEnum
from functools import cache


class LockMode(IntEnum):
    """A table-level lock mode, ordered as Postgres numbers them (lockdefs.h)."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def pg_name(self) -> str:
        """The name `pg_locks.mode` uses, e.g. ``AccessExclusiveLock``."""
        return _PG_NAMES[self]

    @property
    def sql_name(self) -> str:
        """The name `LOCK TABLE … IN <mode> MODE` uses, e.g. ``ACCESS EXCLUSIVE``."""
        return self.name.replace("_", " ")

    @classmethod
    def from_pg_name(cls, name: str) -> LockMode:
        try:
            return _BY_PG_NAME[name]
        except KeyError:
            raise ValueError(f"not a table lock mode: {name!r}") from None

    @classmethod
    def from_sql_name(cls, name: str) -> LockMode:
        try:
            return cls[name.strip().upper().replace(" ", "_")]
        except KeyError:
            raise ValueError(f"not a table lock mode: {name!r}") from None

    def conflicts_with(self, other: LockMode) -> bool:
        return other in conflicts(self)

    @property
    def blocks_reads(self) -> bool:
        """Would a plain SELECT (ACCESS SHARE) have to wait for this lock?"""
        return self.conflicts_with(LockMode.ACCESS_SHARE)

    @property
    def blocks_writes(self) -> bool:
        """Would INSERT, UPDATE, DELETE or MERGE (ROW EXCLUSIVE) have to wait?"""
        return self.conflicts_with(LockMode.ROW_EXCLUSIVE)

    @property
    def blocks_ddl(self) -> bool:
        """Would even the weakest schema change have to wait?

        SHARE UPDATE EXCLUSIVE is what VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and
        VALIDATE CONSTRAINT take; a lock that conflicts with it also stops autovacuum.
        """
        return self.conflicts_with(LockMode.SHARE_UPDATE_EXCLUSIVE)


_PG_NAMES = {
    LockMode.ACCESS_SHARE: "AccessShareLock",
    LockMode.ROW_SHARE: "RowShareLock",
    LockMode.ROW_EXCLUSIVE: "RowExclusiveLock",
    LockMode.SHARE_UPDATE_EXCLUSIVE: "ShareUpdateExclusiveLock",
    LockMode.SHARE: "ShareLock",
    LockMode.SHARE_ROW_EXCLUSIVE: "ShareRowExclusiveLock",
    LockMode.EXCLUSIVE: "ExclusiveLock",
    LockMode.ACCESS_EXCLUSIVE: "AccessExclusiveLock",
}
_BY_PG_NAME = {name: mode for mode, name in _PG_NAMES.items()}

_M = LockMode
# Requested mode -> the modes it conflicts with (Postgres docs, table "Conflicting Lock Modes").
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _M.ACCESS_SHARE: frozenset({_M.ACCESS_EXCLUSIVE}),
    _M.ROW_SHARE: frozenset({_M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}),
    _M.ROW_EXCLUSIVE: frozenset(
        {_M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}
    ),
    _M.SHARE_UPDATE_EXCLUSIVE: frozenset(
        {
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.SHARE: frozenset(
        {
            _M.ROW_EXCLUSIVE,
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.SHARE_ROW_EXCLUSIVE: frozenset(
        {
            _M.ROW_EXCLUSIVE,
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.EXCLUSIVE: frozenset(set(LockMode) - {_M.ACCESS_SHARE}),
    _M.ACCESS_EXCLUSIVE: frozenset(LockMode),
}


def conflicts(mode: LockMode) -> frozenset[LockMode]:
    """The modes that conflict with `mode` (the relation is symmetric)."""
    return _CONFLICTS[mode]


@cache
def strongest(modes: frozenset[LockMode]) -> LockMode | None:
    """The mode whose conflicts include every other's, or None for no modes.

    Lock modes are not totally ordered by what they block (SHARE and SHARE UPDATE
    EXCLUSIVE each block something the other does not), but holding several modes on one
    relation blocks the union of their conflicts; the highest-numbered mode is the one
    to name, and `blocked_by_any` is the exact question.
    """
    return max(modes) if modes else None


def blocked_by_any(held: frozenset[LockMode] | set[LockMode], wanted: LockMode) -> bool:
    """Would a session asking for `wanted` wait behind a holder of all of `held`?"""
    return any(wanted in conflicts(mode) for mode in held)


def conflict_union(held: frozenset[LockMode] | set[LockMode]) -> frozenset[LockMode]:
    """Every mode that some mode of `held` conflicts with."""
    out: set[LockMode] = set()
    for mode in held:
        out |= conflicts(mode)
    return frozenset(out)
