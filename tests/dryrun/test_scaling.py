"""Estimates at production size and lock holds, from given measurements: no server needed."""

from __future__ import annotations

from pgfence.dryrun.scaling import estimate, lock_holds, transactions
from pgfence.dryrun.seed import SeedRequest
from pgfence.dryrun.stats import Stats, TableSize
from pgfence.durations import format_ms
from pgfence.model import (
    AUTOCOMMIT,
    DurationEstimate,
    Location,
    Observation,
    ObservedLock,
    Prediction,
    RelKind,
    Statement,
    StatementReport,
    Transaction,
    TxScope,
)
from pgfence.pg.locks import LockMode


def test_linear_growth_is_extrapolated_linearly_with_high_confidence():
    points = [(10_000, 12.0), (40_000, 42.0), (160_000, 162.0)]  # 2 ms + 1 ms per 1000 rows
    e = estimate("public.orders", "rewrite", points, 16_000_000)
    assert e.expected_ms is not None
    assert abs(e.expected_ms - 16_002) / 16_002 < 0.02
    assert e.low_ms <= e.expected_ms <= e.high_ms
    assert e.confidence == "high"
    assert e.scaling.startswith("linear in rows")
    assert 0.9 < e.exponent < 1.1


def test_index_builds_are_extrapolated_as_a_sort():
    points = [(n, n * (n.bit_length()) / 1000) for n in (10_000, 40_000, 160_000)]
    e = estimate("public.orders", "index build", points, 16_000_000)
    linear = estimate("public.orders", "rewrite", points, 16_000_000)
    assert e.expected_ms > linear.expected_ms
    assert e.scaling.startswith("n log n")


def test_statements_that_do_not_grow_keep_their_measured_time():
    points = [(10_000, 20.0), (40_000, 21.0), (160_000, 20.5)]
    e = estimate("public.orders", "scan", points, 16_000_000)
    assert e.scaling == "does not grow measurably with the table"
    assert 20 <= e.expected_ms <= 21


def test_times_too_short_to_measure_give_low_confidence():
    points = [(100, 0.3), (400, 0.9), (1_600, 3.1)]
    e = estimate("public.orders", "rewrite", points, 10_000_000)
    assert e.confidence == "low"
    assert any("under 5 ms" in why for why in e.basis)


def test_far_extrapolation_lowers_confidence():
    points = [(1_000, 12.0), (4_000, 42.0), (16_000, 162.0)]
    near = estimate("public.orders", "rewrite", points, 160_000)
    far = estimate("public.orders", "rewrite", points, 160_000_000)
    assert near.confidence == "high"
    assert far.confidence == "medium"


def test_without_a_production_size_the_growth_is_still_described():
    points = [(10_000, 12.0), (40_000, 42.0), (160_000, 162.0)]
    e = estimate("public.orders", "rewrite", points, None)
    assert e.expected_ms is None
    assert e.scaling.startswith("linear")
    assert "--stats" in e.basis[0]


def test_wider_production_rows_scale_the_estimate_and_say_so():
    points = [(10_000, 12.0), (40_000, 42.0), (160_000, 162.0)]
    plain = estimate("public.orders", "rewrite", points, 16_000_000)
    wider = estimate("public.orders", "rewrite", points, 16_000_000, (4.0, "rows 4× wider"))
    assert abs(wider.expected_ms / plain.expected_ms - 2.0) < 0.01  # the square root of 4
    assert wider.high_ms >= plain.high_ms * 4 * 0.99
    assert "rows 4× wider" in wider.basis


def test_seed_targets_follow_the_recorded_sizes():
    stats = Stats(
        (
            TableSize("public.orders", RelKind.TABLE, 5_000_000, 1, 1),
            TableSize("public.tags", RelKind.TABLE, 0, 0, 0),
            TableSize("public.fresh", RelKind.TABLE, None, 0, 0),
        )
    )
    request = SeedRequest(scale=0.01, stats=stats, max_rows=20_000)
    assert request.target("public.orders") == (20_000, None)  # capped by max_rows
    assert request.at(0.25).target("public.orders") == (5_000, None)
    assert request.target("public.tags") == (None, "empty in production")
    assert request.target("public.fresh")[1] == "its row count was never recorded"
    assert request.target("public.other")[1] == "not in the stats"
    assert SeedRequest(rows=300).target("public.anything") == (300, None)


def _report(line: int, sql: str, tx: Transaction, ms: float, locks=(), est=None):
    statement = Statement(sql, Location("m.sql", line, 1), tx)
    return StatementReport(
        statement,
        Prediction(),
        observation=Observation(locks=tuple(locks), duration_ms=ms),
        estimate=est,
    )


def _estimate(ms: float) -> DurationEstimate:
    return DurationEstimate(
        "public.orders", "rewrite", ((1, 1.0), (2, 2.0)), 100, ms, ms, ms, 1.0, "linear", "high"
    )


def test_a_lock_is_held_until_its_transaction_ends_at_production_size_too():
    block = Transaction(TxScope.EXPLICIT, 1)
    exclusive = ObservedLock("public.orders", LockMode.ACCESS_EXCLUSIVE)
    index = ObservedLock(
        "public.orders_pkey", LockMode.ACCESS_EXCLUSIVE, kind=RelKind.INDEX, table="public.orders"
    )
    reports = [
        _report(1, "BEGIN", block, 0.1),
        _report(2, "ALTER TABLE orders …", block, 50, [exclusive, index], _estimate(40_000)),
        _report(3, "SELECT pg_sleep(1)", block, 1000),
        _report(4, "COMMIT", block, 1),
        _report(
            5, "CREATE INDEX …", AUTOCOMMIT, 20, [ObservedLock("public.orders", LockMode.SHARE)]
        ),
    ]
    assert transactions(reports) == [[0, 1, 2, 3], [4]]
    first, second = lock_holds(reports)
    assert (first.relation, first.mode, first.blocks_reads) == (
        "public.orders",
        LockMode.ACCESS_EXCLUSIVE,
        True,
    )
    assert first.held_ms == 1051
    assert first.production_ms == 41_001
    assert first.statements == 3
    assert first.until.line == 4
    assert first.summary == (
        "reads and writes to orders blocked ≈ 41 s at production size (AccessExclusive, line 2 to 4)"
    )
    assert second.summary.startswith("writes to orders blocked ≈ 20 ms at production size")
    # Without production sizes (--seed-rows, no stats) nothing is claimed at that size.
    unsized = lock_holds(reports, sized=False)
    assert [h.production_ms for h in unsized] == [None, None]
    assert unsized[1].summary.startswith("writes to orders blocked 20 ms at the seeded size")


def test_durations_read_as_people_say_them():
    assert [format_ms(ms) for ms in (0.25, 850, 4_200, 42_000, 200_000, 7_500_000)] == [
        "0.2 ms",
        "850 ms",
        "4.2 s",
        "42 s",
        "3 min 20 s",
        "2 h 5 min",
    ]
