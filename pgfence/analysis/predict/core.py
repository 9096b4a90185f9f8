"""The classifier registry and the helpers every classifier shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from pgfence.analysis.catalog import Catalog
from pgfence.pg.locks import LockMode
from pgfence.pg.versions import NEWEST


@dataclass
class Match:
    """One row of the lock table that a statement matched, with its relations."""

    key: str
    roles: dict[str, list[str]] = field(default_factory=dict)
    mode: LockMode | None = None  # LOCK TABLE … IN <mode> MODE overrides the row's mode
    notes: list[str] = field(default_factory=list)
    # Rows the statement needs that ctx.version lacks, though a fallback row was matched.
    unavailable: list[str] = field(default_factory=list)
    # Relations a rewriting row leaves in their files here (SET GENERATED of an identity).
    unchanged: list[str] = field(default_factory=list)

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


def classify(node: object, catalog: Catalog, version: int = NEWEST) -> list[Match] | None:
    """The lock-table rows `node` matches, or None when we do not know the statement."""
    fn = _CLASSIFIERS.get(type(node))
    if fn is None:
        return None
    matches = fn(node, Context(catalog, version))
    with_clause = node.withClause if isinstance(node, _WITH) else None
    if with_clause is not None:
        matches = _with_ctes(node, matches, with_clause, catalog, version)
    return matches


_DATA_MODIFYING = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def _with_ctes(
    node: Any, matches: list[Match], with_clause: ast.WithClause, catalog: Catalog, version: int
) -> list[Match]:
    """A WITH's data-modifying CTEs lock what they write as their own statements would
    (dokploy: WITH inserted_users AS (INSERT …), inserted_orgs AS (INSERT …) INSERT …), and
    an unqualified name of a CTE that a classifier read as a table is the CTE."""
    for cte in with_clause.ctes or ():
        if isinstance(cte.ctequery, _DATA_MODIFYING):
            matches.extend(classify(cte.ctequery, catalog, version) or ())
    # After the CTEs' own: a later CTE's body reads an earlier CTE too.
    names = {cte.ctename for cte in with_clause.ctes or ()}
    named: set[str] | None = None
    for match in matches:
        sources = match.roles.get("sources")
        if not sources or not any(s.split(".", 1)[-1] in names for s in sources):
            continue
        if named is None:  # the tables the statement names, CTE scopes respected
            named = {catalog.qualify(n, schema) for schema, n in referenced_relations(node)}
        match.roles["sources"] = [
            s for s in sources if s in named or s.split(".", 1)[-1] not in names
        ]
    return matches


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
    """The relations a query reads (its RangeVars that are not CTE names), qualified."""
    excluded = set(exclude)
    out = []
    # In the order of their dotted names, as the lock table's examples list them.
    for schema, name in sorted(referenced_relations(node), key=lambda r: ".".join(filter(None, r))):
        qualified = ctx.catalog.qualify(name, schema)
        if qualified not in excluded and qualified not in out:
            out.append(qualified)
    return out


_WITH = (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def referenced_relations(node: object) -> set[tuple[str | None, str]]:
    """(schema, name) of every relation a parse tree names, CTE references excepted.

    A CTE name hides a table of that name only within its WITH (and, unless RECURSIVE,
    only for the CTEs after it). Iterative, so deep expressions cannot overflow the stack;
    pglast's referenced_relations does the same but costs far more per call.
    """
    found: set[tuple[str | None, str]] = set()
    stack: list[tuple[object, frozenset[str]]] = [(node, frozenset())]
    while stack:
        current, ctes = stack.pop()
        if isinstance(current, (list, tuple)):
            stack.extend((item, ctes) for item in current)
            continue
        if not isinstance(current, ast.Node):
            continue
        if isinstance(current, ast.RangeVar):
            if current.relname and (current.schemaname or current.relname not in ctes):
                found.add((current.schemaname, current.relname))
            continue
        with_clause = current.withClause if isinstance(current, _WITH) else None
        if with_clause is not None:
            names = set(ctes)
            if with_clause.recursive:
                names.update(cte.ctename for cte in with_clause.ctes)
                stack.extend((cte.ctequery, frozenset(names)) for cte in with_clause.ctes)
            else:
                for cte in with_clause.ctes:
                    stack.append((cte.ctequery, frozenset(names)))
                    names.add(cte.ctename)
            ctes = frozenset(names)
        for attr in current.__slots__:
            if attr == "withClause" and with_clause is not None:
                continue
            value = getattr(current, attr, None)
            if isinstance(value, (ast.Node, list, tuple)):
                stack.append((value, ctes))
    return found


def absent(ctx: Context, relation: str, missing_ok: bool) -> bool:
    """… IF EXISTS of a relation that is not there: a no-op that locks nothing. Only said
    when the known schema is the whole database (a dry-run reads it from the server)."""
    return missing_ok and ctx.catalog.complete and not ctx.catalog.knows(relation)


def index_table(index: str, ctx: Context) -> str:
    return ctx.catalog.table_of_index(index) or f"(table of {index})"
