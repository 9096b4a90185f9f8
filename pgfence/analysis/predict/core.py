"""The classifier registry and the helpers every classifier shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import visitors

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.locktable import NEWEST
from pgfence.locks import LockMode


@dataclass
class Match:
    """One row of the lock table that a statement matched, with its relations."""

    key: str
    roles: dict[str, list[str]] = field(default_factory=dict)
    mode: LockMode | None = None  # LOCK TABLE … IN <mode> MODE overrides the row's mode
    notes: list[str] = field(default_factory=list)

    def bind(self, role: str, *relations: str | None) -> Match:
        for relation in relations:
            if relation and relation not in self.roles.setdefault(role, []):
                self.roles[role].append(relation)
        return self


@dataclass
class Context:
    catalog: Catalog
    version: int


Classifier = Callable[[Any, Context], list[Match]]
_CLASSIFIERS: dict[type, Classifier] = {}


def classifies(*node_types: type) -> Callable[[Classifier], Classifier]:
    def register(fn: Classifier) -> Classifier:
        for node_type in node_types:
            _CLASSIFIERS[node_type] = fn
        return fn

    return register


def classifies_by_default(*node_types: type) -> Callable[[Classifier], Classifier]:
    """Like `classifies`, without replacing a classifier already registered."""

    def register(fn: Classifier) -> Classifier:
        for node_type in node_types:
            _CLASSIFIERS.setdefault(node_type, fn)
        return fn

    return register


def classify(node: object, catalog: Catalog, version: int = NEWEST) -> list[Match] | None:
    """The lock-table rows `node` matches, or None when we do not know the statement."""
    fn = _CLASSIFIERS.get(type(node))
    if fn is None:
        return None
    return fn(node, Context(catalog, version))


# ---- helpers ------------------------------------------------------------------------------------


def target_roles(match: Match, ctx: Context, relation: str, *, recurse: bool = True) -> Match:
    """Bind target, its indexes and (for recursing commands) its partitions."""
    match.bind("target", relation)
    match.bind("target-indexes", *ctx.catalog.indexes_of(relation))
    table = ctx.catalog.table(relation)
    if recurse and table is not None:
        match.bind("target-partitions", *all_partitions(ctx.catalog, relation))
    return match


def all_partitions(catalog: Catalog, relation: str) -> list[str]:
    out: list[str] = []
    stack = (
        list(reversed(catalog.tables[relation].partitions)) if relation in catalog.tables else []
    )
    while stack:
        child = stack.pop()
        out.append(child)
        if child in catalog.tables:
            stack.extend(reversed(catalog.tables[child].partitions))
    return out


def read_relations(node: object, ctx: Context, exclude: Iterable[str] = ()) -> list[str]:
    try:
        names = visitors.referenced_relations(node)
    except Exception:  # pragma: no cover - pglast cannot walk some exotic nodes
        return []
    excluded = set(exclude)
    out = []
    for name in sorted(names):
        parts = name.split(".")
        qualified = ctx.catalog.qualify(parts[-1], parts[-2] if len(parts) > 1 else None)
        if qualified not in excluded:
            out.append(qualified)
    return out


def unknown_table_note(ctx: Context, relation: str, what: str) -> list[str]:
    if ctx.catalog.table(relation) is None:
        return [f"{relation} is not in the known schema: {what} (give --schema for certainty)"]
    return []


def index_table(index: str, ctx: Context) -> str:
    return ctx.catalog.table_of_index(index) or f"(table of {index})"
