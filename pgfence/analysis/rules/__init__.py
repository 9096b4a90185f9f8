"""Rules: one module per rule, registered by being in this package (and `@register`).

Modules whose name starts with `_` hold helpers shared by several rules. What a rule is
and sees is in analysis/rule.py; no module of this package imports this one, so listing
the package by name (`all_rules`) closes no import cycle.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from pgfence.analysis.rule import Rule
from pgfence.checks import registered

__all__ = ["all_rules"]


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, by id: each module of this package imported, in name order."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return {k: v for k, v in registered().items() if isinstance(v, Rule)}
