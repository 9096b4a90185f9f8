"""What observing a long transaction costs grows with its statements, not with what it holds.

Counted, not timed: the catalog rows the observation reads back and the report's size, for
one transaction of 20 and of 80 statements on a real server. Reading back everything the
transaction holds after every statement (as pgfence once did) makes both grow with the
square of the statements: 16 times as much for 4 times the statements.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pgfence.dryrun import probe
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import Report, VerdictKind
from pgfence.reporting import json as json_report
from pgfence.sources.sql import read_sql_file

pytestmark = pytest.mark.postgres

_runs = itertools.count(1)


def create_tables(n: int) -> str:
    """One transaction of `n` statements, as an ORM's first migration: each creates a table
    with a sequence, a primary key, a TOAST table and an index, or alters one made before."""
    statements = []
    for i in range(n):
        if i % 4 == 3:
            statements.append(f"ALTER TABLE t{i - 1} ADD COLUMN note text;")
        else:
            statements.append(
                f"CREATE TABLE t{i} (id bigserial PRIMARY KEY, name text UNIQUE, n int);"
            )
    return "BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n"


class CatalogRows:
    """Counts the relations the observation reads back from the catalogs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0
        # (A short transaction's lock read also reads its few relations, up to
        # `probe.FEW_LOCKS` locks: bounded, not counted.)
        for name in ("relation_files", "changed_files", "changed_files_meanwhile"):
            monkeypatch.setattr(probe, name, self._counting(getattr(probe, name)))

    def _counting(self, read: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            result = read(*args, **kwargs)
            files = result[0] if isinstance(result, tuple) else result
            self.rows += len(files)
            return result

        return counted


@pytest.fixture
def catalog_rows(monkeypatch: pytest.MonkeyPatch) -> Iterator[CatalogRows]:
    yield CatalogRows(monkeypatch)


def observe(pg: Any, tmp_path: Path, n: int, counter: CatalogRows) -> tuple[Report, int]:
    migration = tmp_path / f"{n}.sql"
    migration.write_text(create_tables(n))
    before = counter.rows
    options = DryRunOptions(database=f"pgfence_cost_{next(_runs)}")
    report = dry_run(pg, [read_sql_file(str(migration))], options)
    return report, counter.rows - before


def test_a_long_transaction_reads_and_reports_each_lock_once(pg, tmp_path, catalog_rows):
    small, small_rows = observe(pg, tmp_path, 20, catalog_rows)
    large, large_rows = observe(pg, tmp_path, 80, catalog_rows)
    for report in (small, large):
        assert all(s.verdict.kind is VerdictKind.CONFIRMED for s in report.statements[1:-1])
    # Catalog rows read back: what the statements took, not what the transaction holds.
    assert small_rows > 20
    assert large_rows <= 4.5 * small_rows
    # Every lock is listed once, by the statement that took it; the rest are referred to.
    small_locks = sum(len(s.observation.locks) for s in small.statements)
    large_locks = sum(len(s.observation.locks) for s in large.statements)
    assert large_locks <= 4.5 * small_locks
    last = large.statements[-2].observation
    assert len(last.held_before) > 300 and len(last.locks) < 20
    # The JSON report: the same bytes per statement, whatever the transaction holds.
    small_bytes = len(json_report.render(small)) / len(small.statements)
    large_bytes = len(json_report.render(large)) / len(large.statements)
    assert large_bytes <= 1.25 * small_bytes


def test_a_lock_held_from_before_counts_in_the_verdict_of_a_later_statement(pg, tmp_path):
    # The ALTER takes ACCESS EXCLUSIVE; the SELECT after it takes ACCESS SHARE and finds
    # the ALTER's lock held: not listed again but held before, and readers are blocked
    # because of it (the verdict counts it as carried, not as taken by the SELECT).
    migration = tmp_path / "held.sql"
    migration.write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
        "BEGIN;\nALTER TABLE accounts ADD COLUMN note text;\n"
        "SELECT count(*) FROM accounts;\nCOMMIT;\n"
    )
    options = DryRunOptions(database=f"pgfence_cost_{next(_runs)}")
    report = dry_run(pg, [read_sql_file(str(migration))], options)
    select = report.statements[3].observation
    assert {lock.mode.pg_name for lock in select.locks} == {"AccessShareLock"}
    held = {(lock.relation, lock.mode.pg_name) for lock in select.held_before}
    assert ("public.accounts", "AccessExclusiveLock") in held
    assert select.blocks_reads is True
    assert report.statements[3].verdict.kind is VerdictKind.CONFIRMED
    assert json_report.to_dict(report)["statements"][3]["observed"]["held_before"] == len(
        select.held_before
    )
