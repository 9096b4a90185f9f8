"""Rules: one module per rule, registered by being in this package (and `@register`).

Modules whose name starts with `_` hold helpers shared by several rules. What a rule is
and sees is in analysis/rule.py; no module of this package imports this one, so listing
the package by name (`all_rules`) closes no import cycle. A run imports only the rules
its statements can meet (`rules_admitting`, through the index in `_index.py`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from pgfence.analysis.rule import Rule
from pgfence.analysis.rules._index import INDEX
from pgfence.checks import registered

__all__ = ["all_rules", "rule_ids", "rules_admitting"]


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, by id: each module of this package imported, in name order."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return {k: v for k, v in registered().items() if isinstance(v, Rule)}


def rule_ids() -> frozenset[str]:
    """Every rule's id, no rule's module imported."""
    return frozenset(rule_id for rule_id, _, _ in INDEX)


@cache
def rules_admitting(kind: type) -> tuple[Rule, ...]:
    """The rules that can raise on a statement whose tree is a `kind` (their `nodes` admit
    it), in id order, the order of `all_rules()`: only their modules are imported."""
    names = {c.__name__ for c in kind.__mro__}
    admitted = [(i, m) for i, m, nodes in INDEX if nodes is None or names.intersection(nodes)]
    for _, module in admitted:
        importlib.import_module(f"{__name__}.{module}")
    checks = registered()
    rules = [checks[rule_id] for rule_id, _ in admitted]
    return tuple(
        r for r in rules if isinstance(r, Rule) and (r.nodes is None or issubclass(kind, r.nodes))
    )
