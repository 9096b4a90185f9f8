"""Every check pgfence has, by id: what `pgfence rules`, `pgfence explain`, docs/rules.md
and the configuration's check ids are made from.

The check plane (pgfence/checks/) knows the checks whose modules were imported; this
module lists the rules' and the policies' packages, so that nothing is missing.
"""

from __future__ import annotations

from functools import cache

from pgfence.analysis.policies import all_policies
from pgfence.analysis.rules import all_rules, rule_ids
from pgfence.checks import Check, registered
from pgfence.sources import checks as _format_checks  # noqa: F401  (registers them)

__all__ = ["all_checks", "check_ids"]


@cache
def all_checks() -> dict[str, Check]:
    """Every check, by id: input, format, rule, policy and dry-run checks."""
    all_rules()
    all_policies()
    return registered()


@cache
def check_ids() -> frozenset[str]:
    """Every check's id, as `all_checks()` has them, without importing the rules' modules
    (a run imports only those its statements can meet; their index names them all)."""
    all_policies()
    return frozenset(registered()) | rule_ids()
