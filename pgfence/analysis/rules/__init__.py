"""Rules: one module per rule, registered by being in this package.

A rule's class docstring has the same four parts for every rule (What it does / Why is
this bad? / Example / Use instead); `example_bad` must fire it and `example_good` must
not (tests/analysis/test_rules.py runs both), and docs/rules.md is generated from them.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar

from pgfence.analysis.catalog import Catalog
from pgfence.model import Prediction, Severity, Statement


@dataclass(frozen=True)
class RuleContext:
    statement: Statement
    prediction: Prediction
    catalog: Catalog  # the schema before this statement
    version: int  # the Postgres major predicted for
    # Statements of the same transaction that come before this one.
    earlier_in_transaction: tuple[Statement, ...] = ()

    def existing(self, relation: str) -> bool:
        """Does `relation` exist before the migration, or hold rows the migration wrote?

        Rules about blocking stay silent for tables the same migration created and did
        not fill: nobody else uses them yet.
        """
        table = self.catalog.table(relation)
        if table is None:
            return not self.catalog.is_new(relation)
        return not table.new or table.rows_written


@dataclass(frozen=True)
class Hit:
    message: str
    recipe: tuple[str, ...] = ()
    severity: Severity | None = None  # overrides the rule's severity for this hit


class Rule(ABC):
    id: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    example_bad: ClassVar[str]
    example_good: ClassVar[str]
    # SQL that sets up the schema both examples run against.
    example_schema: ClassVar[str] = ""

    @abstractmethod
    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        """Yield a Hit for each problem this rule sees in the statement."""


@dataclass
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)


_REGISTRY = Registry()


def register(cls: type[Rule]) -> type[Rule]:
    if cls.id in _REGISTRY.rules:
        raise RuntimeError(f"two rules share the id {cls.id}")
    _REGISTRY.rules[cls.id] = cls()
    return cls


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, by id (imports each module of this package once)."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_REGISTRY.rules.items()))


def quote_ident(name: str) -> str:
    """Quote an identifier only when Postgres would need it."""
    if (
        name
        and (name[0].isalpha() or name[0] == "_")
        and name.replace("_", "a").isalnum()
        and name == name.lower()
    ):
        return name
    return '"' + name.replace('"', '""') + '"'


def display(relation: str) -> str:
    """public.accounts -> accounts; other schemas stay qualified."""
    schema, _, name = relation.partition(".")
    return name if schema == "public" and name else relation
