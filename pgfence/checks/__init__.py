"""The check plane, below every stage: what a check is, its registration, the hits it
raises and the settings that judge them.

It imports only the model and the facts about Postgres. Stages declare their checks
here (`register`), raise findings with `raised()`, and hand every finding of a run to
`RuleSettings.judge`, the one place that decides whether and at which severity it is
reported. The checks on the input and the dry-run's checks are declared in this package
(`inputs.py`, `dryrun.py`); rules and policies in analysis/, format checks in
sources/checks.py.
"""

from __future__ import annotations

from pgfence.checks import dryrun, inputs
from pgfence.checks.base import Check, Hit, Scope, raised, register, registered
from pgfence.checks.settings import PathOverride, RuleSettings

__all__ = [
    "Check",
    "Hit",
    "PathOverride",
    "RuleSettings",
    "Scope",
    "dryrun",
    "inputs",
    "raised",
    "register",
    "registered",
]
