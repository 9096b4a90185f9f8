"""What pgfence runs as the superuser for the migration's role (privileged.py)."""

from __future__ import annotations

import psycopg
import pytest
from pglast import parse_sql

from pgfence.dryrun.servers import roles
from pgfence.dryrun.servers.privileged import Privileged
from tests.support import database_with

pytestmark = pytest.mark.postgres


def _node(text: str):
    return parse_sql(text)[0].stmt


def test_an_untrusted_extension_is_created_by_the_superuser_and_its_wrapper_granted(
    pg, database_name
):
    dsn = database_with(pg, database_name, "SELECT 1")
    create = _node("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
    with psycopg.connect(dsn, autocommit=True) as migration:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            migration.execute("CREATE EXTENSION postgres_fdw")
        with Privileged(pg.superuser_dsn(dsn)) as privileged:
            assert privileged.needs(create, migration)
            assert not privileged.needs(_node("CREATE EXTENSION citext"), migration)
            assert not privileged.needs(_node("CREATE TABLE t (id int)"), migration)
            privileged.run(create, migration)
        row = migration.execute(
            "SELECT e.extnamespace::regnamespace::text, has_foreign_data_wrapper_privilege("
            "%s, 'postgres_fdw', 'USAGE') FROM pg_extension e WHERE e.extname = 'postgres_fdw'",
            (roles.MIGRATION_ROLE,),
        ).fetchone()
        assert row == ("public", True)
        migration.execute("CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw")


def test_without_a_superuser_nothing_is_taken_over(pg, database_name):
    dsn = database_with(pg, database_name, "SELECT 1")
    with psycopg.connect(dsn, autocommit=True) as migration, Privileged(None) as privileged:
        assert not privileged.needs(_node("CREATE EXTENSION postgres_fdw"), migration)
