"""pg/transactions.py reads on the parse tree what the lock table says of a statement:
Postgres refuses the statement inside a transaction block exactly when a row it matches is
`transactional=False` (or it is one of the few such statements that lock no relation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import ast

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.predict import classify
from pgfence.pg.locktable import BY_KEY
from pgfence.pg.transactions import needs_transaction_block, runs_in_transaction
from pgfence.pg.versions import NEWEST
from pgfence.registry import all_checks
from pgfence.sources.sql import split_script

REPO = Path(__file__).resolve().parents[2]

BY_HAND = """
CREATE INDEX CONCURRENTLY i ON t (a);
CREATE INDEX i ON t (a);
DROP INDEX CONCURRENTLY i;
DROP INDEX i;
REINDEX INDEX CONCURRENTLY i;
REINDEX (CONCURRENTLY) TABLE t;
REINDEX TABLE t;
REINDEX SCHEMA public;
VACUUM t;
VACUUM FULL t;
ANALYZE t;
CLUSTER;
CLUSTER t USING i;
ALTER TABLE p DETACH PARTITION c CONCURRENTLY;
ALTER TABLE p DETACH PARTITION c;
ALTER TABLE p DETACH PARTITION c FINALIZE;
CREATE DATABASE d;
DROP DATABASE d;
ALTER SYSTEM SET work_mem = '1MB';
REFRESH MATERIALIZED VIEW CONCURRENTLY m;
LOCK TABLE t;
"""


def _statements():
    texts = [BY_HAND]
    texts += [p.read_text() for p in sorted((REPO / "tests/analysis/corpus").glob("*.sql"))]
    texts += [p.read_text() for p in sorted((REPO / "scenarios").glob("*/migration.sql"))]
    texts += [c.example_bad + "\n" + c.example_good for c in all_checks().values()]
    for text in texts:
        statements, _ = split_script(text, "x.sql")
        yield from (s for s in statements if s.node is not None)


# Statements that lock no relation (no row says what they lock) yet refuse a block.
_NO_RELATION = (ast.CreatedbStmt, ast.DropdbStmt, ast.AlterSystemStmt, ast.CreateTableSpaceStmt,
                ast.DropTableSpaceStmt, ast.CreateSubscriptionStmt)  # fmt: skip


def _by_the_lock_table(node: object) -> bool:
    if isinstance(node, _NO_RELATION):
        return False
    if isinstance(node, ast.ReindexStmt | ast.ClusterStmt) and node.relation is None:
        return False  # REINDEX SCHEMA / DATABASE / SYSTEM; CLUSTER of every clustered table
    matches = classify(node, Catalog(), NEWEST) or []
    return all(BY_KEY[m.key][0].transactional for m in matches if m.key in BY_KEY)


STATEMENTS = list(_statements())


def test_there_are_statements_of_both_kinds():
    refused = [s for s in STATEMENTS if not runs_in_transaction(s.node)]
    assert len(STATEMENTS) > 300 and len(refused) > 20


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: s.sql[:60])
def test_the_parse_tree_and_the_lock_table_agree(statement):
    assert runs_in_transaction(statement.node) is _by_the_lock_table(statement.node)


def test_lock_table_and_cursors_need_a_block():
    statements, _ = split_script(
        "LOCK TABLE t; DECLARE c CURSOR FOR SELECT 1; DECLARE h CURSOR WITH HOLD FOR SELECT 1;",
        "x.sql",
    )
    assert [needs_transaction_block(s.node) for s in statements] == [True, True, False]
