"""CREATE / DROP / TRUNCATE, indexes, views and maintenance commands."""

from __future__ import annotations

from pglast import ast
from pglast.enums import (
    ConstrType,
    DropBehavior,
    ObjectType,
    ReindexObjectType,
)

from pgfence.analysis.predict.core import (
    Context,
    Match,
    absent,
    all_partitions,
    classifies,
    index_table,
    read_relations,
    target_roles,
)
from pgfence.analysis.statements import builds_index_concurrently
from pgfence.model import RelKind
from pgfence.pg.locks import LockMode
from pgfence.pg.rows import Row

# ---- CREATE / DROP ------------------------------------------------------------------------------


@classifies(ast.CreateStmt)
def _create_table(node: ast.CreateStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    if (
        node.if_not_exists
        and ctx.catalog.table(relation) is not None
        and not ctx.catalog.is_new(relation)
    ):
        return [Match(Row.NO_RELATION_LOCK, notes=[f"{relation} exists: IF NOT EXISTS skips it"])]
    matches = [Match(Row.CREATE_TABLE).bind("new", relation)]
    if node.partbound is not None and node.inhRelations:
        parent = ctx.catalog.rangevar(node.inhRelations[0])
        info = ctx.catalog.table(parent)
        default = (
            info.default_partition if info is not None and not node.partbound.is_default else None
        )
        matches.append(
            Match(Row.CREATE_TABLE__PARTITION_OF)
            .bind("new", relation)
            .bind("parent", parent)
            .bind("default-partition", default)
        )
    elif node.inhRelations:
        parents = [ctx.catalog.rangevar(rv) for rv in node.inhRelations]
        matches.append(
            Match(Row.CREATE_TABLE__INHERITS).bind("new", relation).bind("parent", *parents)
        )
    referenced: list[str] = []
    for element in node.tableElts or ():
        constraints = element.constraints or () if isinstance(element, ast.ColumnDef) else [element]
        for con in constraints:
            if (
                isinstance(con, ast.Constraint)
                and con.contype == ConstrType.CONSTR_FOREIGN
                and con.pktable
            ):
                target = ctx.catalog.rangevar(con.pktable)
                if target != relation:
                    referenced.append(target)
        if isinstance(element, ast.TableLikeClause):
            matches.append(
                Match(Row.CREATE_TABLE__LIKE)
                .bind("new", relation)
                .bind("sources", ctx.catalog.rangevar(element.relation))
            )
    if referenced:
        matches.append(
            Match(Row.CREATE_TABLE__REFERENCES)
            .bind("new", relation)
            .bind("referenced", *referenced)
        )
    return matches


@classifies(ast.CreateForeignTableStmt)
def _create_foreign_table(node: ast.CreateForeignTableStmt, ctx: Context) -> list[Match]:
    return [Match(Row.CREATE_TABLE).bind("new", ctx.catalog.rangevar(node.base.relation))]


@classifies(ast.CreateTableAsStmt)
def _create_table_as(node: ast.CreateTableAsStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.into.rel)
    match = Match(Row.CREATE_TABLE_AS).bind("new", relation)
    if not node.into.skipData:
        match.bind("sources", *read_relations(node.query, ctx, exclude=[relation]))
    else:
        match.key = Row.CREATE_VIEW
        match.bind("sources", *read_relations(node.query, ctx, exclude=[relation]))
    return [match]


@classifies(ast.DropStmt)
def _drop(node: ast.DropStmt, ctx: Context) -> list[Match]:
    kind = node.removeType
    objects = [o for o in node.objects or () if isinstance(o, (list, tuple))]
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    matches: list[Match] = []
    if kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE):
        for obj in objects:
            relation = ctx.catalog.names(obj)
            if node.missing_ok and ctx.catalog.complete and ctx.catalog.table(relation) is None:
                continue
            match = target_roles(Match(Row.DROP_TABLE), ctx, relation, recurse=True)
            table = ctx.catalog.table(relation)
            if table is not None:
                match.bind("referenced", *(r for r in table.referenced_tables() if r != relation))
                # The sequences it owns: made by serial and identity columns, or OWNED BY.
                match.bind(
                    "sequence", *sorted({*table.sequences, *ctx.catalog.sequences_of(relation)})
                )
                match.bind("parent", table.parent)
                parent = ctx.catalog.table(table.parent) if table.parent else None
                if parent is not None and parent.default_partition != relation:
                    match.bind("default-partition", parent.default_partition)
            if cascade:
                match.bind("referencing", *ctx.catalog.referencing_tables(relation))
                match.bind(
                    "dependents", *_cascade(ctx, [relation, *all_partitions(ctx.catalog, relation)])
                )
            matches.append(match)
        return matches or [Match(Row.NO_RELATION_LOCK)]
    if kind == ObjectType.OBJECT_INDEX:
        key = Row.DROP_INDEX__CONCURRENTLY if node.concurrent else Row.DROP_INDEX
        for obj in objects:
            index = ctx.catalog.names(obj)
            if node.missing_ok and ctx.catalog.complete and index not in ctx.catalog.indexes:
                continue
            matches.append(
                Match(key).bind("index", index).bind("index-table", index_table(index, ctx))
            )
        return matches or [Match(Row.NO_RELATION_LOCK)]
    if kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE):
        for obj in objects:
            relation = ctx.catalog.names(obj)
            if absent(ctx, relation, node.missing_ok):
                continue
            match = Match(Row.DROP_VIEW).bind("target", relation)
            if cascade:
                match.bind("dependents", *_cascade(ctx, [relation]))
            matches.append(match)
        return matches or [Match(Row.NO_RELATION_LOCK)]
    if kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY, ObjectType.OBJECT_RULE):
        key = {
            ObjectType.OBJECT_TRIGGER: Row.DROP_TRIGGER,
            ObjectType.OBJECT_POLICY: Row.CREATE_POLICY,
        }.get(kind, Row.CREATE_RULE)
        for o in objects:
            if len(o) < 2:
                continue
            owner = ctx.catalog.names(list(o)[:-1])
            if absent(ctx, owner, node.missing_ok):
                continue  # the table is not there: nothing is looked up under a lock
            match = Match(key).bind("target", owner)
            if key == Row.DROP_TRIGGER:
                # A row-level trigger's clones on the partitions are dropped with it.
                match.bind("target-partitions", *all_partitions(ctx.catalog, owner))
            matches.append(match)
        return matches or [Match(Row.NO_RELATION_LOCK)]
    if kind == ObjectType.OBJECT_SCHEMA and cascade:
        return [_drop_schema(node, ctx)]
    if kind in _CASCADING_OBJECTS and cascade:
        return [_drop_object_cascade(kind, objects, node, ctx)]
    return [Match(Row.NO_RELATION_LOCK)]


_CASCADING_OBJECTS = {
    ObjectType.OBJECT_FUNCTION: "function",
    ObjectType.OBJECT_PROCEDURE: "function",
    ObjectType.OBJECT_ROUTINE: "function",
    ObjectType.OBJECT_TYPE: "type",
    ObjectType.OBJECT_DOMAIN: "type",
}


def _cascade(ctx: Context, relations: list[str]) -> list[str]:
    """What DROP … CASCADE of `relations` takes along besides them (views on them, …)."""
    keys = [key for relation in relations for key in ctx.catalog.relation_keys(relation)]
    return ctx.catalog.cascade_from(keys, set(relations))


def _drop_object_cascade(
    kind: ObjectType, objects: list[list[object]], node: ast.DropStmt, ctx: Context
) -> Match:
    """DROP FUNCTION / TYPE / DOMAIN … CASCADE: the relations whose triggers, defaults,
    constraints or columns use it are changed under ACCESS EXCLUSIVE."""
    prefix = _CASCADING_OBJECTS[kind]
    keys = []
    for obj in node.objects or ():
        parts = obj.objname if isinstance(obj, ast.ObjectWithArgs) else obj
        if isinstance(parts, ast.TypeName):
            parts = parts.names
        names = [p.sval for p in parts or () if isinstance(p, ast.String)]
        if not names:
            continue
        schema = names[-2] if len(names) > 1 else ctx.catalog.search_path[0]
        keys.append(f"{prefix}:{schema}.{names[-1].lower()}")
    match = Match(Row.DROP_OBJECT__CASCADE).bind("dependents", *ctx.catalog.cascade_from(keys))
    if not ctx.catalog.complete and not match.roles.get("dependents"):
        match.notes.append(
            "unknown: give --schema — CASCADE locks every table whose trigger, default, "
            "constraint or column uses it"
        )
    return match


def _drop_schema(node: ast.DropStmt, ctx: Context) -> Match:
    """DROP SCHEMA … CASCADE: every relation in it, what its foreign keys reference (their
    triggers are dropped) and what depends on its relations elsewhere."""
    schemas = {getattr(o, "sval", None) for o in node.objects or ()}
    catalog = ctx.catalog
    inside = sorted(
        r
        for r in [*catalog.tables, *catalog.views, *catalog.sequences]
        if r.split(".", 1)[0] in schemas and not r.startswith("pg_toast.")
    )
    match = Match(Row.DROP_TABLE).bind("target", *inside)
    for relation in inside:
        match.bind("target-indexes", *catalog.indexes_of(relation))
        match.bind("sequence", *catalog.sequences_of(relation))
        table = catalog.table(relation)
        if table is not None:
            match.bind("referenced", *(r for r in table.referenced_tables() if r not in inside))
    match.bind("dependents", *_cascade(ctx, inside))
    if not catalog.complete:
        match.notes.append(
            "unknown: give --schema — every relation in the schema is dropped, and what "
            "references or depends on them is locked"
        )
    return match


@classifies(ast.TruncateStmt)
def _truncate(node: ast.TruncateStmt, ctx: Context) -> list[Match]:
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    matches = []
    for rv in node.relations or ():
        relation = ctx.catalog.rangevar(rv)
        match = target_roles(
            Match(Row.TRUNCATE__CASCADE if cascade else Row.TRUNCATE), ctx, relation
        )
        if node.restart_seqs:
            match.bind("sequence", *ctx.catalog.sequences_of(relation))
        if cascade:
            match.bind("referencing", *ctx.catalog.referencing_tables(relation))
        matches.append(match)
    return matches


# ---- indexes ------------------------------------------------------------------------------------


def default_index_name(table: str, columns: str) -> str:
    # Postgres names an unnamed index <table>_<columns>_idx (ChooseIndexName).
    return f"{table}_{columns or 'expr'}_idx"


@classifies(ast.IndexStmt)
def _create_index(node: ast.IndexStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    schema, short = relation.split(".", 1)
    columns = "_".join(
        p.name for p in node.indexParams or () if isinstance(p, ast.IndexElem) and p.name
    )
    name = f"{schema}.{node.idxname or default_index_name(short, columns)}"
    if node.if_not_exists and name in ctx.catalog.indexes and not ctx.catalog.is_new(name):
        return [Match(Row.NO_RELATION_LOCK, notes=[f"{name} exists: IF NOT EXISTS skips it"])]
    key = Row.CREATE_INDEX__CONCURRENTLY if node.concurrent else Row.CREATE_INDEX
    match = Match(key).bind("target", relation).bind("new", name)
    partitions = all_partitions(ctx.catalog, relation) if node.relation.inh else []
    if partitions:
        match.bind("target-partitions", *partitions)
    return [match]


@classifies(ast.ReindexStmt)
def _reindex(node: ast.ReindexStmt, ctx: Context) -> list[Match]:
    concurrently = builds_index_concurrently(node)
    if node.relation is None:
        return [_reindex_many(node, concurrently, ctx)]
    relation = ctx.catalog.rangevar(node.relation)
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        table = index_table(relation, ctx)
        if concurrently:
            return [
                Match(Row.REINDEX__CONCURRENTLY)
                .bind("target", table)
                .bind("target-indexes", relation)
            ]
        info = ctx.catalog.table(table)
        if info is not None and info.kind is RelKind.PARTITIONED_TABLE:
            # A partitioned index: each partition's index in a transaction of its own.
            return [_reindex_partitioned_index(relation, table, ctx)]
        return [Match(Row.REINDEX__INDEX).bind("index", relation).bind("index-table", table)]
    info = ctx.catalog.table(relation)
    if info is not None and info.kind is RelKind.PARTITIONED_TABLE and not concurrently:
        # Each partition is reindexed in a transaction of its own.
        partitions = all_partitions(ctx.catalog, relation)
        match = Match(Row.REINDEX__PARTITIONED).bind("target", relation)
        match.bind("target-partitions", *partitions)
        for partition in partitions:
            match.bind("partition-indexes", *ctx.catalog.indexes_of(partition))
            info_p = ctx.catalog.table(partition)
            if info_p is not None and info_p.toast:
                match.bind("toast-index", f"{info_p.toast}_index")
        return [match]
    key = Row.REINDEX__CONCURRENTLY if concurrently else Row.REINDEX__TABLE
    match = (
        Match(key)
        .bind("target", relation)
        .bind("target-indexes", *ctx.catalog.indexes_of(relation))
    )
    if info is not None and info.toast and not concurrently:
        match.bind("toast-index", f"{info.toast}_index")
    return [match]


def _reindex_many(node: ast.ReindexStmt, concurrently: bool, ctx: Context) -> Match:
    """REINDEX SCHEMA / DATABASE: every table in it, each in a transaction of its own."""
    key = Row.REINDEX__SCHEMA__CONCURRENTLY if concurrently else Row.REINDEX__SCHEMA
    if node.kind == ReindexObjectType.REINDEX_OBJECT_SYSTEM:
        return Match(Row.NO_RELATION_LOCK, notes=["REINDEX SYSTEM locks the system catalogs"])
    if node.kind == ReindexObjectType.REINDEX_OBJECT_SCHEMA:
        tables = [t for t in ctx.catalog.tables if t.split(".", 1)[0] == node.name]
    else:
        tables = list(ctx.catalog.tables)
    match = Match(key)
    for table in sorted(tables):
        info = ctx.catalog.tables[table]
        if info.kind is RelKind.PARTITIONED_TABLE or info.kind is RelKind.FOREIGN_TABLE:
            continue
        match.bind("target", table).bind("target-indexes", *ctx.catalog.indexes_of(table))
        if info.toast:
            match.bind("toast-index", f"{info.toast}_index")
    if node.kind != ReindexObjectType.REINDEX_OBJECT_SCHEMA:
        match.notes.append("the system catalogs are reindexed too before PostgreSQL 16")
    if not ctx.catalog.complete:
        match.notes.append("unknown: give --schema — every table in it is reindexed in turn")
    return match


def _reindex_partitioned_index(index: str, table: str, ctx: Context) -> Match:
    """REINDEX INDEX of an index on a partitioned table: the partitions' indexes that make
    it up (those on the same columns) are rebuilt, each partition in turn."""
    parent = ctx.catalog.indexes.get(index)
    partitions = all_partitions(ctx.catalog, table)
    match = Match(Row.REINDEX__PARTITIONED_INDEX).bind("index", index).bind("index-table", table)
    match.bind("target-partitions", *partitions)
    for partition in partitions:
        match.bind(
            "partition-indexes",
            *(
                name
                for name in ctx.catalog.indexes_of(partition)
                if parent is None or ctx.catalog.indexes[name].columns == parent.columns
            ),
        )
    return match


# ---- views, materialized views ------------------------------------------------------------------


@classifies(ast.ViewStmt)
def _create_view(node: ast.ViewStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.view)
    exists = relation in ctx.catalog.views or relation in ctx.catalog.tables
    key = Row.CREATE_VIEW__REPLACE if node.replace and exists else Row.CREATE_VIEW
    role = "target" if key == Row.CREATE_VIEW__REPLACE else "new"
    return [
        Match(key)
        .bind(role, relation)
        .bind("sources", *read_relations(node.query, ctx, exclude=[relation]))
    ]


@classifies(ast.RefreshMatViewStmt)
def _refresh(node: ast.RefreshMatViewStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    key = Row.REFRESH_MATVIEW__CONCURRENTLY if node.concurrent else Row.REFRESH_MATVIEW
    return [target_roles(Match(key), ctx, relation, recurse=False)]


# ---- maintenance --------------------------------------------------------------------------------


@classifies(ast.VacuumStmt)
def _vacuum(node: ast.VacuumStmt, ctx: Context) -> list[Match]:
    options = {d.defname for d in node.options or () if isinstance(d, ast.DefElem)}
    key = Row.VACUUM__FULL if "full" in options else Row.VACUUM__TRUNCATE
    truncate = next(
        (d for d in node.options or () if isinstance(d, ast.DefElem) and d.defname == "truncate"),
        None,
    )
    if key == Row.VACUUM__TRUNCATE and truncate is not None and not _true(truncate.arg):
        key = Row.VACUUM
    if not node.is_vacuumcmd:
        key = Row.ANALYZE
    relations = [
        ctx.catalog.rangevar(r.relation)
        for r in node.rels or ()
        if isinstance(r, ast.VacuumRelation)
    ]
    if not relations:
        relations = sorted(t for t, info in ctx.catalog.tables.items() if not info.new)
    # A partitioned table is processed through its partitions (VACUUM FULL aside, each
    # with the same lock, in a transaction of its own).
    recurse = key != Row.VACUUM__FULL
    return [target_roles(Match(key), ctx, r, recurse=recurse) for r in relations] or [
        Match(key, notes=["every table of the database, one at a time"])
    ]


def _true(value: object) -> bool:
    """An option's value: VACUUM (TRUNCATE) is on, (TRUNCATE false / off / 0) off."""
    if value is None:
        return True
    text = getattr(value, "sval", None)
    if text is not None:
        return str(text).lower() not in ("false", "off", "0", "no")
    number = getattr(value, "ival", None)
    if number is not None:
        return bool(number)
    boolean = getattr(value, "boolval", None)
    return bool(boolean) if boolean is not None else True


@classifies(ast.ClusterStmt)
def _cluster(node: ast.ClusterStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        return [Match(Row.CLUSTER, notes=["every previously clustered table, one at a time"])]
    relation = ctx.catalog.rangevar(node.relation)
    info = ctx.catalog.table(relation)
    if info is not None and info.kind is RelKind.PARTITIONED_TABLE:
        match = Match(Row.CLUSTER__PARTITIONED).bind("target", relation)
        for partition in all_partitions(ctx.catalog, relation):
            match.bind("target-partitions", partition)
            match.bind("partition-indexes", *ctx.catalog.indexes_of(partition))
        return [match]
    return [target_roles(Match(Row.CLUSTER), ctx, relation, recurse=False)]


@classifies(ast.LockStmt)
def _lock_table(node: ast.LockStmt, ctx: Context) -> list[Match]:
    mode = LockMode(node.mode)
    matches = []
    for rv in node.relations or ():
        relation = ctx.catalog.rangevar(rv)
        match = Match(Row.LOCK_TABLE, mode=mode).bind("target", relation)
        if rv.inh:
            match.bind("target-partitions", *all_partitions(ctx.catalog, relation))
        matches.append(match)
    # LOCK TABLE recurses to partitions with the same mode: give them the target's mode.
    for match in matches:
        for child in match.roles.pop("target-partitions", []):
            match.bind("target", child)
    return matches
