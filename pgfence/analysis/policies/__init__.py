"""Policies: checks of how a migration's statements share transactions and sessions.

One module per policy, registered with `@register` like the rules; each sees one
migration file at a time (`policy.FileRun`) and yields the statements it is about.
What a policy is lives in `_base.py`; no module of this package imports this one, so
listing the package by name (`all_policies`) closes no import cycle.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache

from pgfence.analysis.policies._base import Policy
from pgfence.analysis.policy import StatementFacts, file_runs
from pgfence.checks import RuleSettings, raised, registered
from pgfence.model import Finding, StatementReport

__all__ = ["Policy", "all_policies", "check"]


@cache
def all_policies() -> dict[str, Policy]:
    """Every policy, by id: each module of this package imported, in name order."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return {k: v for k, v in registered().items() if isinstance(v, Policy)}


def check(
    reports: Sequence[StatementReport],
    statement_facts: Sequence[StatementFacts],
    settings: RuleSettings,
) -> dict[int, list[Finding]]:
    """Findings keyed by the index of the statement they are about."""
    policies = settings.active(all_policies())
    out: dict[int, list[Finding]] = {}
    for run in file_runs(reports, statement_facts, settings):
        for policy in policies:
            for step, hit in policy.check(run):
                out.setdefault(step.index, []).append(raised(policy, hit, step.statement.location))
    return out
