"""Every id a finding can carry, with its summary and documentation.

The rules in `analysis/rules/` document themselves (summary and a docstring in four
parts). A few findings come from elsewhere — the parser, the sources, the transaction
policy, the dry-run — and are described here. Reporters (SARIF rule metadata) and the
configuration (checking the ids a user names) read this one index.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any

from pgfence.model import Severity


@dataclass(frozen=True)
class RuleDoc:
    id: str
    severity: Severity
    summary: str
    doc: str = ""  # Markdown: What it does / Why is this bad? / Example / Use instead


_BUILT_IN = (
    RuleDoc(
        "parse-error",
        Severity.CRITICAL,
        "a statement does not parse: Postgres will refuse it",
    ),
    RuleDoc(
        "unanalysable",
        Severity.MEDIUM,
        "pgfence cannot tell what this statement locks (SQL built at run time, code it "
        "cannot read)",
    ),
    RuleDoc(
        "concurrently-in-transaction",
        Severity.CRITICAL,
        "a statement Postgres refuses inside a transaction block is inside one",
    ),
    RuleDoc("statement-failed", Severity.CRITICAL, "the statement fails on a real server"),
    RuleDoc(
        "statement-timeout",
        Severity.CRITICAL,
        "the statement did not finish within --statement-timeout on a real server",
    ),
    RuleDoc("lock-timeout", Severity.HIGH, "the statement waited for a lock and gave up"),
    RuleDoc(
        "under-predicted-lock",
        Severity.CRITICAL,
        "the server took a lock, rewrite or blocking that pgfence did not predict",
    ),
    RuleDoc("psql-meta-command", Severity.INFO, "a psql meta-command, skipped: it is not SQL"),
    RuleDoc(
        "flyway-mixed-transaction",
        Severity.HIGH,
        "a Flyway file mixes statements that need a transaction with some that cannot run in one",
    ),
    RuleDoc("flyway-placeholder", Severity.INFO, "a Flyway ${placeholder} read as an identifier"),
    RuleDoc("not-in-journal", Severity.INFO, "a Drizzle SQL file that its journal does not list"),
    RuleDoc("sqitch-missing-script", Severity.INFO, "a sqitch plan entry without a deploy script"),
    RuleDoc(
        "typeorm-transaction-false",
        Severity.INFO,
        "a TypeORM migration that runs outside a transaction",
    ),
    RuleDoc("extraction-coverage", Severity.INFO, "how many migration calls became SQL"),
    RuleDoc("django-assumption", Severity.INFO, "an assumption made reading a Django migration"),
    RuleDoc("empty-sql", Severity.INFO, "a migration call with no SQL in it"),
)


@cache
def all_rule_docs() -> dict[str, RuleDoc]:
    """Every known id -> its documentation."""
    out = {doc.id: doc for doc in _BUILT_IN}
    for rule_id, check in _registry().items():
        out[rule_id] = RuleDoc(
            rule_id,
            check.severity,
            check.summary,
            inspect.cleandoc(type(check).__doc__ or ""),
        )
    return dict(sorted(out.items()))


def rule_doc(rule_id: str) -> RuleDoc:
    """The documentation of `rule_id`; an id nobody documented gets a bare entry."""
    return all_rule_docs().get(rule_id) or RuleDoc(rule_id, Severity.MEDIUM, rule_id)


def _registry() -> dict[str, Any]:
    # The rules helper's branch replaces analysis/rules' registry by one registry of every
    # check (analysis/checks.py: rules, policies, dry-run checks); use it when it is there.
    try:
        checks = importlib.import_module("pgfence.analysis.checks")
    except ModuleNotFoundError:
        from pgfence.analysis.rules import all_rules

        return dict(all_rules())
    return dict(checks.all_checks())
