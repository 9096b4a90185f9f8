"""pgfence's own prepared queries on the migration's and the probe's sessions
(pgfence/dryrun/session.py), on a real server."""

from __future__ import annotations

import pytest

from pgfence.dryrun.probe import connect
from pgfence.dryrun.session import MigrationSession

QUERY = "SELECT %s::int + 1"


@pytest.fixture
def migration(pg):
    conn = connect(pg.dsn(), application_name="pgfence-test", one_statement=True)
    assert isinstance(conn, MigrationSession)
    yield conn
    conn.close()


def test_a_query_sent_meanwhile_is_answered_once_the_work_meanwhile_is_done(pg, migration):
    probe = connect(pg.dsn(), application_name="pgfence-test", prepare=True)
    try:
        with migration.prepared_meanwhile(QUERY, ["41"]) as answer:
            assert answer.rows == []  # read only when the block ends
            assert probe.run_prepared(QUERY, ["1"]) == [(2,)]
        assert answer.rows == [(42,)]
    finally:
        probe.close()


def test_a_query_sent_meanwhile_is_drained_when_the_work_meanwhile_fails(migration):
    with (
        pytest.raises(RuntimeError, match="the probe failed"),
        migration.prepared_meanwhile(QUERY, ["41"]),
    ):
        raise RuntimeError("the probe failed")
    # Nothing of the first answer is left pending: psycopg's next query runs (it would be
    # refused while a command is in progress), and so does the prepared one.
    assert migration.execute("SELECT 'next'").fetchone() == ("next",)
    assert migration.run_prepared(QUERY, ["1"]) == [(2,)]


def test_a_deallocate_all_of_the_migration_has_the_queries_prepared_again(migration):
    assert migration.run_prepared(QUERY, ["1"]) == [(2,)]
    migration.execute("DEALLOCATE ALL")
    assert migration.run_prepared(QUERY, ["2"]) == [(3,)]
    with migration.prepared_meanwhile(QUERY, ["3"]) as answer:
        pass
    assert answer.rows == [(4,)]
