from itertools import product

import pytest

from pgfence.pg.locks import LockMode, blocked_by_any, conflicts

M = LockMode


def test_pg_names_round_trip():
    for mode in LockMode:
        assert LockMode.from_pg_name(mode.pg_name) is mode
        assert LockMode.from_sql_name(mode.sql_name) is mode
    assert M.ACCESS_EXCLUSIVE.pg_name == "AccessExclusiveLock"
    assert M.SHARE_UPDATE_EXCLUSIVE.sql_name == "SHARE UPDATE EXCLUSIVE"


def test_conflicts_are_symmetric():
    for a, b in product(LockMode, LockMode):
        assert (b in conflicts(a)) == (a in conflicts(b)), (a, b)


@pytest.mark.parametrize(
    ("mode", "reads", "writes", "ddl"),
    [
        (M.ACCESS_SHARE, False, False, False),
        (M.ROW_SHARE, False, False, False),
        (M.ROW_EXCLUSIVE, False, False, False),
        (M.SHARE_UPDATE_EXCLUSIVE, False, False, True),
        (M.SHARE, False, True, True),
        (M.SHARE_ROW_EXCLUSIVE, False, True, True),
        (M.EXCLUSIVE, False, True, True),
        (M.ACCESS_EXCLUSIVE, True, True, True),
    ],
)
def test_what_each_mode_blocks(mode, reads, writes, ddl):
    assert mode.blocks_reads is reads
    assert mode.blocks_writes is writes
    assert mode.blocks_ddl is ddl


def test_matrix_matches_postgres_documentation():
    # Number of modes each mode conflicts with, row by row of the docs' table.
    assert [len(conflicts(m)) for m in LockMode] == [1, 2, 4, 5, 5, 6, 7, 8]
    assert M.SHARE not in conflicts(M.SHARE)
    assert M.SHARE_UPDATE_EXCLUSIVE in conflicts(M.SHARE_UPDATE_EXCLUSIVE)
    assert M.ROW_EXCLUSIVE not in conflicts(M.ROW_EXCLUSIVE)


def test_blocked_by_any_uses_the_union_of_held_modes():
    assert blocked_by_any({M.SHARE_UPDATE_EXCLUSIVE, M.SHARE}, M.SHARE)
    assert not blocked_by_any({M.SHARE}, M.SHARE)
    assert not blocked_by_any(set(), M.ACCESS_EXCLUSIVE)
