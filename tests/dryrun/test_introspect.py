"""load_catalog: the live schema for the prediction, read without opening a user relation."""

from __future__ import annotations

import psycopg
import pytest

from pgfence.dryrun.introspect import load_catalog
from tests.conftest import MAJORS
from tests.support import database_with

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE t (a int, "Mixed Case" int, b int, c int, d int,
    CONSTRAINT a_present CHECK (a IS NOT NULL),
    CONSTRAINT b_absent CHECK (b IS NULL),
    CONSTRAINT c_sum CHECK ((c + 1) IS NOT NULL),
    CONSTRAINT cd_present CHECK (c IS NOT NULL AND d IS NOT NULL),
    CONSTRAINT d_positive CHECK (d > 0));
-- NOT VALID counts only on a table that exists (CREATE TABLE marks its CHECKs valid)
ALTER TABLE t ADD CONSTRAINT mixed_present CHECK ("Mixed Case" IS NOT NULL) NOT VALID;
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
"""


@pytest.fixture(params=sorted(MAJORS), ids=lambda major: f"pg{major}")
def catalog_dsn(request, servers, database_name):
    return database_with(servers.get(request.param), database_name, SCHEMA)


def test_the_catalog_is_read_while_another_session_holds_every_table(catalog_dsn):
    with psycopg.connect(catalog_dsn) as holder:
        holder.execute("LOCK TABLE t, events, events_2024, events_rest IN ACCESS EXCLUSIVE MODE")
        with psycopg.connect(catalog_dsn, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '500ms'")
            catalog = load_catalog(conn)
    proofs = {name: c.proves_not_null for name, c in catalog.tables["public.t"].constraints.items()}
    assert proofs == {
        "a_present": "a",
        "mixed_present": "Mixed Case",
        "b_absent": None,
        "c_sum": None,
        "cd_present": None,
        "d_positive": None,
    }
    assert catalog.tables["public.t"].constraints["mixed_present"].validated is False
    assert catalog.tables["public.t"].not_null_proven("a")
    assert not catalog.tables["public.t"].not_null_proven("Mixed Case")  # NOT VALID: no proof
    events = catalog.tables["public.events"]
    assert sorted(events.partitions) == ["public.events_2024", "public.events_rest"]
    assert events.default_partition == "public.events_rest"
