"""Reading and writing data: SELECT, INSERT, UPDATE, DELETE, MERGE, COPY."""

from __future__ import annotations

from pglast import ast

from pgfence.analysis.expressions import function_calls
from pgfence.analysis.predict.core import (
    Context,
    Match,
    classifies,
    read_relations,
    target_roles,
)
from pgfence.pg.rows import Row

_SEQUENCE_FUNCTIONS = {"nextval", "setval"}


@classifies(ast.SelectStmt)
def _select(node: ast.SelectStmt, ctx: Context) -> list[Match]:
    if node.intoClause is not None:
        relation = ctx.catalog.rangevar(node.intoClause.rel)
        return [
            Match(Row.CREATE_TABLE_AS)
            .bind("new", relation)
            .bind("sources", *read_relations(node, ctx, [relation]))
        ]
    sources = read_relations(node, ctx)
    key = Row.SELECT__FOR_UPDATE if node.lockingClause else Row.SELECT
    matches = [target_roles(Match(key), ctx, s, recurse=True) for s in sources]
    for match in matches:
        # A query on a partitioned table reads (and locks) its partitions as well.
        for child in match.roles.pop("target-partitions", []):
            match.bind("target", child)
    sequences = used_sequences(node, ctx)
    if sequences:
        matches.append(Match(Row.SEQUENCE_USE).bind("sequence", *sequences))
    if not matches:
        matches.append(Match(Row.NO_RELATION_LOCK))
    return matches


def used_sequences(node: object, ctx: Context) -> list[str]:
    """Sequences named by nextval('…') / setval('…') calls in a statement."""
    out = []
    for name, args in function_calls(node):
        if name in _SEQUENCE_FUNCTIONS and args and isinstance(args[0], str):
            parts = args[0].split(".")
            out.append(ctx.catalog.qualify(parts[-1], parts[-2] if len(parts) > 1 else None))
    return sorted(set(out))


def _fk_referenced(ctx: Context, relation: str) -> list[str]:
    table = ctx.catalog.table(relation)
    return [r for r in table.referenced_tables() if r != relation] if table else []


def _defaulted_columns(node: ast.InsertStmt, ctx: Context, relation: str) -> set[str] | None:
    """Columns an INSERT leaves to their defaults (None: all, when no list is given)."""
    table = ctx.catalog.table(relation)
    if table is None:
        return set()
    if not node.cols:
        return set() if node.selectStmt is not None else None
    named = {c.name for c in node.cols if isinstance(c, ast.ResTarget)}
    return set(table.columns) - named


@classifies(ast.InsertStmt)
def _insert(node: ast.InsertStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    key = Row.INSERT__ON_CONFLICT if node.onConflictClause is not None else Row.INSERT
    match = target_roles(Match(key), ctx, relation, recurse=False)
    match.bind("referenced", *_fk_referenced(ctx, relation))
    defaulted = _defaulted_columns(node, ctx, relation)
    if defaulted is None or defaulted:
        match.bind("sequence", *ctx.catalog.sequences_of(relation, defaulted))
    match.bind("sequence", *used_sequences(node, ctx))
    if node.selectStmt is not None:
        match.bind("sources", *read_relations(node.selectStmt, ctx, exclude=[relation]))
    return [match]


@classifies(ast.UpdateStmt)
def _update(node: ast.UpdateStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = target_roles(Match(Row.UPDATE), ctx, relation, recurse=node.relation.inh)
    updated = {t.name for t in node.targetList or () if isinstance(t, ast.ResTarget)}
    table = ctx.catalog.table(relation)
    if table is not None:
        # Foreign-key checks run (and lock the other table) only when a key column changes.
        match.bind(
            "referenced",
            *(
                c.referenced_table
                for c in table.constraints.values()
                if c.kind == "f" and c.referenced_table != relation and updated & set(c.columns)
            ),
        )
        key_columns = {
            col for c in table.constraints.values() if c.kind in ("p", "u") for col in c.columns
        }
        if updated & key_columns:
            match.bind("referencing", *ctx.catalog.referencing_tables(relation))
            match.bind("cascaded", *ctx.catalog.cascading_referencers(relation, "update"))
    extra = [n for n in (node.fromClause, node.whereClause) if n]
    match.bind("sources", *(s for e in extra for s in read_relations(e, ctx, exclude=[relation])))
    return [match]


@classifies(ast.DeleteStmt)
def _delete(node: ast.DeleteStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = target_roles(Match(Row.DELETE), ctx, relation, recurse=node.relation.inh)
    match.bind("referencing", *ctx.catalog.referencing_tables(relation))
    # ON DELETE CASCADE / SET NULL / SET DEFAULT delete or update the referencing rows.
    match.bind("cascaded", *ctx.catalog.cascading_referencers(relation, "delete"))
    extra = [n for n in (node.usingClause, node.whereClause) if n]
    match.bind("sources", *(s for e in extra for s in read_relations(e, ctx, exclude=[relation])))
    return [match]


@classifies(ast.MergeStmt)
def _merge(node: ast.MergeStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = target_roles(Match(Row.MERGE), ctx, relation, recurse=False)
    return [match.bind("sources", *read_relations(node.sourceRelation, ctx, exclude=[relation]))]


@classifies(ast.CopyStmt)
def _copy(node: ast.CopyStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        if node.query is None:
            return [Match(Row.NO_RELATION_LOCK)]
        return [Match(Row.SELECT).bind("target", *read_relations(node.query, ctx))]
    relation = ctx.catalog.rangevar(node.relation)
    if node.is_from:
        match = target_roles(Match(Row.COPY_FROM), ctx, relation, recurse=False)
        named = {c.sval for c in node.attlist or ()} if node.attlist else None
        table = ctx.catalog.table(relation)
        if named is not None and table is not None:
            match.bind("sequence", *ctx.catalog.sequences_of(relation, set(table.columns) - named))
        return [match.bind("referenced", *_fk_referenced(ctx, relation))]
    return [Match(Row.COPY_TO).bind("target", relation)]
