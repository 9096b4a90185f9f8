"""Every check pgfence has, by id: what `pgfence rules`, `pgfence explain`, docs/rules.md
and the configuration's check ids are made from.

The check plane (pgfence/checks/) knows the checks whose modules were imported; this
module lists the rules' and the policies' packages, so that nothing is missing.
"""

from __future__ import annotations

from functools import cache

from pgfence.analysis.policies import all_policies
from pgfence.analysis.rules import all_rules
from pgfence.checks import Check, registered
from pgfence.sources import checks as _format_checks  # noqa: F401  (registers them)

__all__ = ["all_checks"]


@cache
def all_checks() -> dict[str, Check]:
    """Every check, by id: input, format, rule, policy and dry-run checks."""
    all_rules()
    all_policies()
    return registered()
