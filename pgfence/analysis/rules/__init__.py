"""Rules: one module per rule, registered by being in this package (and `@register`).

A rule's class docstring has the same four parts for every rule (What it does / Why is
this bad? / Example / Use instead); `example_bad` must fire it and `example_good` must
not (tests/analysis/test_rules.py runs both), and docs/rules.md is generated from them.
Modules whose name starts with `_` hold helpers shared by several rules.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.checks import Check, Scope, all_checks, register
from pgfence.model import Prediction, Severity, Statement

__all__ = [
    "Hit",
    "Rule",
    "RuleContext",
    "Scope",
    "Severity",
    "all_rules",
    "display",
    "in_use",
    "quote_ident",
    "register",
]


def in_use(catalog: Catalog, relation: str) -> bool:
    """Does `relation` exist before the migration, or hold rows the migration wrote?

    Rules about blocking stay silent for tables the same migration created and did not
    fill: nobody else uses them yet. An index counts as its table.
    """
    table_name = catalog.table_of_index(relation) or relation
    table = catalog.table(table_name)
    if table is None:
        return not catalog.is_new(relation)
    return not table.new or table.rows_written


@dataclass(frozen=True)
class RuleContext:
    statement: Statement
    prediction: Prediction
    catalog: Catalog  # the schema before this statement
    version: int  # the Postgres major predicted for
    # Statements of the same transaction that come before this one.
    earlier_in_transaction: tuple[Statement, ...] = ()
    # Statements of the same migration file that come after this one.
    following: tuple[Statement, ...] = ()

    def existing(self, relation: str) -> bool:
        """Does `relation` exist before the migration, or hold rows the migration wrote?"""
        return in_use(self.catalog, relation)


@dataclass(frozen=True)
class Hit:
    message: str
    recipe: tuple[str, ...] = ()
    severity: Severity | None = None  # overrides the rule's severity for this hit


class Rule(Check):
    """A check of one statement, with the schema as it is before the statement."""

    scope = Scope.STATEMENT

    @abstractmethod
    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        """Yield a Hit for each problem this rule sees in the statement."""


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, by id."""
    return {k: v for k, v in all_checks().items() if isinstance(v, Rule)}


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
