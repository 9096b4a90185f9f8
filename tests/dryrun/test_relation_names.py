"""Relations whose schema or name holds a dot: pgfence names them "schema.name", which is
ambiguous there, so the probe asks the server how to quote them."""

from __future__ import annotations

import psycopg
import pytest

from pgfence.dryrun.introspect import relation_identifier
from tests.dryrun.test_runner import run
from tests.support import database_with

pytestmark = pytest.mark.postgres

DOTTED = (
    'CREATE SCHEMA "a.b";\n'
    'CREATE TABLE "a.b"."t.c" (id int);\n'
    'CREATE TABLE "a.b"."q""uote" (id int);\n'
    'INSERT INTO "a.b"."t.c" SELECT generate_series(1, 10);\n'
)


def test_relation_identifier_quotes_the_parts_the_server_knows(pg, database_name):
    dsn = database_with(pg, database_name, DOTTED)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert relation_identifier(conn, "public.t") == '"public"."t"'  # no query needed
        assert relation_identifier(conn, "a.b.t.c") == '"a.b"."t.c"'
        assert relation_identifier(conn, 'a.b.q"uote') == '"a.b"."q""uote"'
        oid = conn.execute("""SELECT '"a.b"."t.c"'::regclass::oid""").fetchone()[0]
        assert relation_identifier(conn, "a.b.t.c", oid) == '"a.b"."t.c"'
        # Unknown: quoted as if the first dot separated them.
        assert relation_identifier(conn, "x.y.z") == '"x"."y.z"'


def test_what_a_statement_blocks_is_measured_on_a_table_whose_names_hold_dots(
    pg, tmp_path, database_name
):
    report = run(
        pg,
        tmp_path,
        'ALTER TABLE "a.b"."t.c" ADD COLUMN n int;\n'
        'COMMENT ON TABLE "a.b"."t.c" IS \'x\';\n'
        'CREATE INDEX CONCURRENTLY t_c_id ON "a.b"."t.c" (id);\n',
        database_name,
        schema=DOTTED,
    )
    observed = [s.observation for s in report.statements]
    assert all(o is not None and o.error is None for o in observed)
    assert [(o.blocks_reads, o.blocks_writes) for o in observed[:2]] == [
        (True, True),
        (False, False),
    ]
    # The gate held the table, so the build was seen asking for its lock; then it waited
    # out pgfence's older transaction.
    assert observed[2].waited_for_pgfence
