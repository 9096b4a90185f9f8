"""Which statements Postgres refuses inside a transaction block, and which outside one.

Read on the parse tree alone, with no schema: what every stage needs to place a
statement (a migration tool's transaction, Flyway's mixed scripts, the dry-run's own
transactions). The lock table's `transactional=False` rows are the same statements;
tests/pg/test_transactions.py checks the two agree.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType

# Statements with no relation lock that Postgres still refuses inside a transaction block.
_NEVER_IN_TRANSACTION = (
    ast.CreatedbStmt,
    ast.DropdbStmt,
    ast.AlterSystemStmt,
    ast.CreateTableSpaceStmt,
    ast.DropTableSpaceStmt,
    ast.CreateSubscriptionStmt,
)

_CURSOR_OPT_HOLD = 0x0020  # parsenodes.h


def runs_in_transaction(node: object) -> bool:
    """Can Postgres run this statement inside a transaction block (BEGIN … COMMIT)?"""
    if node is None:
        return True
    if isinstance(node, _NEVER_IN_TRANSACTION):
        return False
    if isinstance(node, ast.ReindexStmt):
        # REINDEX SCHEMA / DATABASE / SYSTEM, and every REINDEX … CONCURRENTLY.
        return node.relation is not None and not _reindex_concurrently(node)
    if isinstance(node, ast.ClusterStmt):
        return node.relation is not None  # CLUSTER of every clustered table
    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return not node.concurrent  # CREATE / DROP INDEX CONCURRENTLY
    if isinstance(node, ast.VacuumStmt):
        return not node.is_vacuumcmd  # ANALYZE alone runs in one
    if isinstance(node, ast.AlterTableStmt):
        # DETACH PARTITION … CONCURRENTLY, and its FINALIZE (the lock table's row for both).
        return not any(
            isinstance(cmd, ast.AlterTableCmd)
            and (
                cmd.subtype == AlterTableType.AT_DetachPartitionFinalize
                or (
                    cmd.subtype == AlterTableType.AT_DetachPartition
                    and isinstance(cmd.def_, ast.PartitionCmd)
                    and bool(cmd.def_.concurrent)
                )
            )
            for cmd in node.cmds or ()
        )
    return True


def needs_transaction_block(node: object) -> bool:
    """Does Postgres refuse this statement outside a transaction block (LOCK TABLE, a
    cursor without HOLD), where psql would run it on its own and fail?"""
    if isinstance(node, ast.LockStmt):
        return True
    if isinstance(node, ast.DeclareCursorStmt):
        return not (node.options or 0) & _CURSOR_OPT_HOLD
    return False


def _reindex_concurrently(node: ast.ReindexStmt) -> bool:
    return any(
        isinstance(p, ast.DefElem) and p.defname == "concurrently" for p in node.params or ()
    )
