"""Transaction-level policy: what is wrong with how statements are grouped, not with one.

Checked over the whole ordered list of statements, per transaction block.
"""

from __future__ import annotations

from collections.abc import Sequence

from pgfence.analysis.predict import runs_in_transaction
from pgfence.model import Finding, Severity, StatementReport, TxScope


def check(reports: Sequence[StatementReport], disabled: frozenset[str]) -> dict[int, list[Finding]]:
    """Findings keyed by the index of the statement they are about."""
    out: dict[int, list[Finding]] = {}
    if "concurrently-in-transaction" not in disabled:
        for i, report in enumerate(reports):
            finding = _non_transactional_in_transaction(report)
            if finding is not None:
                out.setdefault(i, []).append(finding)
    return out


def _non_transactional_in_transaction(report: StatementReport) -> Finding | None:
    stmt = report.statement
    if stmt.transaction.scope is TxScope.AUTOCOMMIT:
        return None
    if report.prediction.transactional and runs_in_transaction(stmt.node):
        return None
    where = (
        "inside BEGIN … COMMIT"
        if stmt.transaction.scope is TxScope.EXPLICIT
        else "inside the transaction the migration tool wraps around this file"
    )
    return Finding(
        "concurrently-in-transaction",
        Severity.CRITICAL,
        f"this statement cannot run in a transaction block and is {where}: Postgres will "
        "refuse it (ERROR 25001). Run it on its own, outside any transaction.",
        stmt.location,
    )
