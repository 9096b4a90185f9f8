"""Static prediction: which locks a parsed statement takes, per Postgres major version.

`classify` decides which rows of the lock table (locktable.py) a statement matches and
which relations fill each row's roles; `predict` turns that into a Prediction. No lock
mode is written in this module except LOCK TABLE's own: the modes are the table's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast, visitors
from pglast.enums import (
    AlterTableType,
    ConstrType,
    DropBehavior,
    ObjectType,
    ReindexObjectType,
)

from pgfence.analysis.catalog import Catalog, type_ref
from pgfence.analysis.expressions import Volatility, volatility
from pgfence.analysis.locktable import BY_KEY, NEWEST, row_for
from pgfence.analysis.types import rewrites_on_type_change
from pgfence.locks import LockMode, conflicts
from pgfence.model import LockOnRelation, Prediction, RelKind, Statement

# Storage parameters whose change takes only SHARE UPDATE EXCLUSIVE
# (AlterTableGetRelOptionsLockLevel: every heap and toast option but a few view options).
_SUE_RELOPTIONS = frozenset(
    {
        "fillfactor",
        "parallel_workers",
        "toast_tuple_target",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "user_catalog_table",
        "autovacuum_enabled",
        "vacuum_max_eager_freeze_failure_rate",
    }
)
_EXCLUSIVE_RELOPTIONS = frozenset({"security_barrier", "security_invoker", "check_option"})


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


def classify(node: object, catalog: Catalog, version: int = NEWEST) -> list[Match] | None:
    """The lock-table rows `node` matches, or None when we do not know the statement."""
    fn = _CLASSIFIERS.get(type(node))
    if fn is None:
        return None
    return fn(node, Context(catalog, version))


def predict(
    statement: Statement, catalog: Catalog, version: int = NEWEST, *, block: object = None
) -> Prediction:
    """Predict one statement's locks; the catalog is *not* updated (call catalog.apply)."""
    if statement.node is None:
        return Prediction(analysable=False, notes=("does not parse",))
    matches = classify(statement.node, catalog, version)
    if matches is None:
        kind = type(statement.node).__name__
        return Prediction(analysable=False, notes=(f"pgfence does not know what {kind} locks",))
    return build_prediction(matches, catalog, version, block)


def build_prediction(
    matches: list[Match], catalog: Catalog, version: int, block: object = None
) -> Prediction:
    locks: dict[tuple[str, LockMode], LockOnRelation] = {}
    rewrites: list[str] = []
    scans: list[str] = []
    rows: list[str] = []
    notes: list[str] = []
    analysable = True
    for match in matches:
        notes.extend(match.notes)
        if match.key == "unanalysable":
            analysable = False
            continue
        row = row_for(match.key, version)
        if row is None:
            notes.append(f"{match.key} does not exist on PostgreSQL {version}")
            continue
        rows.append(row.key)
        for role, mode in row.locks:
            for relation in match.roles.get(role, []):
                chosen = match.mode if match.mode is not None and role == "target" else mode
                lock = _lock(relation, chosen, role, catalog, block)
                locks.setdefault((relation, chosen), lock)
        for role in row.rewrite:
            rewrites.extend(r for r in match.roles.get(role, []) if r not in rewrites)
        for role in row.scan:
            scans.extend(r for r in match.roles.get(role, []) if r not in scans)
    return Prediction(
        locks=_dominant(locks.values()),
        rewrites=tuple(rewrites),
        scans=tuple(scans),
        rows=tuple(dict.fromkeys(rows)),
        analysable=analysable,
        notes=tuple(dict.fromkeys(notes)),
    )


def _lock(
    relation: str, mode: LockMode, role: str, catalog: Catalog, block: object
) -> LockOnRelation:
    kind = catalog.kind_of(relation)
    if kind is RelKind.UNKNOWN:
        kind = {
            "index": RelKind.INDEX,
            "target-indexes": RelKind.INDEX,
            "sequence": RelKind.SEQUENCE,
        }.get(role, RelKind.TABLE)
    table = (
        catalog.table_of_index(relation)
        if kind in (RelKind.INDEX, RelKind.PARTITIONED_INDEX)
        else None
    )
    new = role == "new" or catalog.created_in(relation, block)
    return LockOnRelation(relation, mode, kind, role, table, new)


def _dominant(locks: Iterable[LockOnRelation]) -> tuple[LockOnRelation, ...]:
    """Per relation, drop modes whose conflicts another held mode already covers."""
    by_relation: dict[str, list[LockOnRelation]] = {}
    for lock in locks:
        by_relation.setdefault(lock.relation, []).append(lock)
    out: list[LockOnRelation] = []
    for relation_locks in by_relation.values():
        for lock in relation_locks:
            covered = any(
                other.mode != lock.mode and conflicts(lock.mode) <= conflicts(other.mode)
                for other in relation_locks
            )
            if not covered:
                out.append(lock)
    return tuple(
        sorted(
            out, key=lambda lock: (lock.new, lock.kind != RelKind.TABLE, lock.relation, lock.mode)
        )
    )


# ---- helpers ------------------------------------------------------------------------------------


def _target_roles(match: Match, ctx: Context, relation: str, *, recurse: bool = True) -> Match:
    """Bind target, its indexes and (for recursing commands) its partitions."""
    match.bind("target", relation)
    match.bind("target-indexes", *ctx.catalog.indexes_of(relation))
    table = ctx.catalog.table(relation)
    if recurse and table is not None:
        match.bind("target-partitions", *_all_partitions(ctx.catalog, relation))
    return match


def _all_partitions(catalog: Catalog, relation: str) -> list[str]:
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


def _sources(node: object, ctx: Context, exclude: Iterable[str] = ()) -> list[str]:
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


def _unknown_table_note(ctx: Context, relation: str, what: str) -> list[str]:
    if ctx.catalog.table(relation) is None:
        return [f"{relation} is not in the known schema: {what} (give --schema for certainty)"]
    return []


# ---- ALTER TABLE --------------------------------------------------------------------------------


@classifies(ast.AlterTableStmt)
def _alter_table(node: ast.AlterTableStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    recurse = bool(node.relation.inh)
    if node.objtype == ObjectType.OBJECT_INDEX:
        return [_alter_index_cmd(cmd, relation, ctx) for cmd in node.cmds or ()]
    matches: list[Match] = []
    for cmd in node.cmds or ():
        matches.extend(_alter_table_cmd(cmd, relation, recurse, ctx))
    # Postgres takes one lock on the target for the whole ALTER TABLE, the strongest any
    # sub-command needs (AlterTableGetLockLevel); _dominant() keeps just that one.
    return matches


def _alter_index_cmd(cmd: ast.AlterTableCmd, index: str, ctx: Context) -> Match:
    sub = cmd.subtype
    key = {
        AlterTableType.AT_SetRelOptions: "alter-index.set-options",
        AlterTableType.AT_ResetRelOptions: "alter-index.set-options",
        AlterTableType.AT_SetTableSpace: "alter-index.set-tablespace",
        AlterTableType.AT_AttachPartition: "alter-index.attach-partition",
        AlterTableType.AT_SetStatistics: "alter-index.set-statistics",
    }.get(sub, "alter-index.set-tablespace")
    match = Match(key).bind("index", index).bind("index-table", _index_table(index, ctx))
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        match.roles.pop("new", None)
        match.bind("new", ctx.catalog.rangevar(cmd.def_.name))
        match.notes.append("the attached index is locked ACCESS EXCLUSIVE")
    return match


def _index_table(index: str, ctx: Context) -> str:
    return ctx.catalog.table_of_index(index) or f"(table of {index})"


_SIMPLE_SUBCOMMANDS = {
    AlterTableType.AT_DropNotNull: "alter-table.drop-not-null",
    AlterTableType.AT_ColumnDefault: "alter-table.set-default",
    AlterTableType.AT_CookedColumnDefault: "alter-table.set-default",
    AlterTableType.AT_SetStatistics: "alter-table.set-statistics",
    AlterTableType.AT_SetOptions: "alter-table.set-column-options",
    AlterTableType.AT_ResetOptions: "alter-table.set-column-options",
    AlterTableType.AT_SetStorage: "alter-table.set-storage",
    AlterTableType.AT_SetCompression: "alter-table.set-compression",
    AlterTableType.AT_AddIdentity: "alter-table.identity",
    AlterTableType.AT_SetIdentity: "alter-table.identity",
    AlterTableType.AT_DropIdentity: "alter-table.identity",
    AlterTableType.AT_DropExpression: "alter-table.drop-expression",
    AlterTableType.AT_SetExpression: "alter-table.set-expression",
    AlterTableType.AT_AlterConstraint: "alter-table.alter-constraint",
    AlterTableType.AT_SetLogged: "alter-table.set-logged",
    AlterTableType.AT_SetUnLogged: "alter-table.set-logged",
    AlterTableType.AT_SetTableSpace: "alter-table.set-tablespace",
    AlterTableType.AT_SetAccessMethod: "alter-table.set-access-method",
    AlterTableType.AT_ClusterOn: "alter-table.cluster-on",
    AlterTableType.AT_DropCluster: "alter-table.cluster-on",
    AlterTableType.AT_ChangeOwner: "alter-table.owner",
    AlterTableType.AT_DropOids: "alter-table.owner",
    AlterTableType.AT_EnableTrig: "alter-table.trigger-toggle",
    AlterTableType.AT_EnableAlwaysTrig: "alter-table.trigger-toggle",
    AlterTableType.AT_EnableReplicaTrig: "alter-table.trigger-toggle",
    AlterTableType.AT_DisableTrig: "alter-table.trigger-toggle",
    AlterTableType.AT_EnableTrigAll: "alter-table.trigger-toggle",
    AlterTableType.AT_DisableTrigAll: "alter-table.trigger-toggle",
    AlterTableType.AT_EnableTrigUser: "alter-table.trigger-toggle",
    AlterTableType.AT_DisableTrigUser: "alter-table.trigger-toggle",
    AlterTableType.AT_EnableRule: "alter-table.rule-toggle",
    AlterTableType.AT_EnableAlwaysRule: "alter-table.rule-toggle",
    AlterTableType.AT_EnableReplicaRule: "alter-table.rule-toggle",
    AlterTableType.AT_DisableRule: "alter-table.rule-toggle",
    AlterTableType.AT_EnableRowSecurity: "alter-table.row-security",
    AlterTableType.AT_DisableRowSecurity: "alter-table.row-security",
    AlterTableType.AT_ForceRowSecurity: "alter-table.row-security",
    AlterTableType.AT_NoForceRowSecurity: "alter-table.row-security",
    AlterTableType.AT_ReplicaIdentity: "alter-table.replica-identity",
    AlterTableType.AT_AddOf: "alter-table.of-type",
    AlterTableType.AT_DropOf: "alter-table.of-type",
    AlterTableType.AT_GenericOptions: "alter-table.generic-options",
    AlterTableType.AT_AlterColumnGenericOptions: "alter-table.generic-options",
    AlterTableType.AT_DetachPartitionFinalize: "alter-table.detach-partition.concurrently",
}


def _alter_table_cmd(
    cmd: ast.AlterTableCmd, relation: str, recurse: bool, ctx: Context
) -> list[Match]:
    sub = cmd.subtype

    def base(key: str) -> Match:
        return _target_roles(Match(key), ctx, relation, recurse=recurse)

    if sub in _SIMPLE_SUBCOMMANDS:
        return [base(_SIMPLE_SUBCOMMANDS[sub])]
    if sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _add_column(cmd.def_, relation, recurse, ctx)
    if sub == AlterTableType.AT_DropColumn:
        match = base("alter-table.drop-column")
        table = ctx.catalog.table(relation)
        if table is not None:
            match.bind(
                "index",
                *(
                    i
                    for i in table.indexes
                    if cmd.name in ctx.catalog.indexes.get(i, _NO_INDEX).columns
                ),
            )
        return [match]
    if sub == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
        return [_alter_column_type(cmd, relation, recurse, ctx)]
    if sub == AlterTableType.AT_SetNotNull:
        table = ctx.catalog.table(relation)
        proven = table is not None and (
            table.not_null_proven(cmd.name)
            or (cmd.name in table.columns and table.columns[cmd.name].not_null)
        )
        return [base("alter-table.set-not-null.proven" if proven else "alter-table.set-not-null")]
    if sub in (
        AlterTableType.AT_AddConstraint,
        AlterTableType.AT_AddIndexConstraint,
    ) and isinstance(cmd.def_, ast.Constraint):
        return [_add_constraint(cmd.def_, relation, recurse, ctx)]
    if sub == AlterTableType.AT_ValidateConstraint:
        constraint = _constraint(ctx, relation, cmd.name)
        if constraint is not None and constraint.kind == "f":
            return [
                base("alter-table.validate-foreign-key").bind(
                    "referenced", constraint.referenced_table
                )
            ]
        match = base("alter-table.validate-constraint")
        if constraint is None:
            match.notes.append(
                f"constraint {cmd.name} is not in the known schema; if it is a foreign key, "
                "its referenced table also gets ROW SHARE"
            )
        return [match]
    if sub == AlterTableType.AT_DropConstraint:
        constraint = _constraint(ctx, relation, cmd.name)
        if constraint is not None and constraint.kind == "f":
            return [
                base("alter-table.drop-foreign-key").bind("referenced", constraint.referenced_table)
            ]
        match = base("alter-table.drop-constraint")
        if constraint is not None and constraint.kind in ("p", "u", "x"):
            schema = relation.split(".", 1)[0]
            match.bind("target-indexes", f"{schema}.{cmd.name}")
        return [match]
    if sub in (AlterTableType.AT_SetRelOptions, AlterTableType.AT_ResetRelOptions):
        names = {d.defname.lower() for d in cmd.def_ or () if isinstance(d, ast.DefElem)}
        exclusive = bool(names & _EXCLUSIVE_RELOPTIONS) or any(
            not (n in _SUE_RELOPTIONS or n.startswith(("autovacuum_", "toast."))) for n in names
        )
        return [
            base(
                "alter-table.set-reloptions.exclusive"
                if exclusive
                else "alter-table.set-reloptions"
            )
        ]
    if sub in (AlterTableType.AT_AddInherit, AlterTableType.AT_DropInherit):
        parent = ctx.catalog.rangevar(cmd.def_) if isinstance(cmd.def_, ast.RangeVar) else None
        return [base("alter-table.inherit").bind("parent", parent)]
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        return [_attach_partition(cmd.def_, relation, ctx)]
    if sub == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        key = "alter-table.detach-partition" + (".concurrently" if cmd.def_.concurrent else "")
        return [
            Match(key)
            .bind("target", relation)
            .bind("partition", ctx.catalog.rangevar(cmd.def_.name))
        ]
    match = base("alter-table.owner")
    match.notes.append(f"ALTER TABLE {sub.name} is not in the lock table: assumed ACCESS EXCLUSIVE")
    return [match]


class _NoIndex:
    columns: tuple[str, ...] = ()


_NO_INDEX = _NoIndex()


def _constraint(ctx: Context, relation: str, name: str | None) -> object:
    table = ctx.catalog.table(relation)
    if table is None or name is None:
        return None
    return table.constraints.get(name)


def _add_column(col: ast.ColumnDef, relation: str, recurse: bool, ctx: Context) -> list[Match]:
    def base(key: str) -> Match:
        return _target_roles(Match(key), ctx, relation, recurse=recurse)

    constraints = list(col.constraints or ())
    kinds = {c.contype for c in constraints}
    default = next(
        (c.raw_expr for c in constraints if c.contype == ConstrType.CONSTR_DEFAULT), None
    )
    generated = next((c for c in constraints if c.contype == ConstrType.CONSTR_GENERATED), None)
    type_name = col.typeName.names[-1].sval.lower() if col.typeName else ""
    schema = relation.split(".", 1)[0]
    short = relation.split(".", 1)[1]
    matches: list[Match] = []
    if type_name in ("serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"):
        matches.append(
            base("alter-table.add-column.serial").bind("new", f"{schema}.{short}_{col.colname}_seq")
        )
    elif ConstrType.CONSTR_IDENTITY in kinds:
        matches.append(
            base("alter-table.add-column.identity").bind(
                "new", f"{schema}.{short}_{col.colname}_seq"
            )
        )
    elif generated is not None:
        virtual = getattr(generated, "generated_kind", "s") == "v"
        if virtual and ctx.version < 18:
            matches.append(base("alter-table.add-column.stored-generated"))
            matches[-1].notes.append("virtual generated columns need PostgreSQL 18; add STORED")
        else:
            matches.append(
                base(
                    "alter-table.add-column.virtual-generated"
                    if virtual
                    else "alter-table.add-column.stored-generated"
                )
            )
    elif default is not None:
        v = volatility(default)
        if v is Volatility.NON_VOLATILE:
            matches.append(base("alter-table.add-column"))
        else:
            match = base("alter-table.add-column.volatile-default")
            if v is Volatility.UNKNOWN:
                match.notes.append(
                    "the default calls a function pgfence does not know; taken as volatile "
                    "(a rewrite) — if it is STABLE or IMMUTABLE there is no rewrite"
                )
            matches.append(match)
    elif col.is_not_null or ConstrType.CONSTR_NOTNULL in kinds:
        matches.append(base("alter-table.add-column.not-null-no-default"))
    else:
        matches.append(base("alter-table.add-column"))
    for con in constraints:
        if con.contype == ConstrType.CONSTR_CHECK:
            matches.append(base("alter-table.add-column.check"))
        elif con.contype == ConstrType.CONSTR_FOREIGN:
            matches.append(
                base("alter-table.add-column.references").bind(
                    "referenced", ctx.catalog.rangevar(con.pktable)
                )
            )
        elif con.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
            suffix = "pkey" if con.contype == ConstrType.CONSTR_PRIMARY else f"{col.colname}_key"
            name = con.conname or f"{short}_{suffix}"
            matches.append(base("alter-table.add-column.unique").bind("new", f"{schema}.{name}"))
    return matches


def _alter_column_type(cmd: ast.AlterTableCmd, relation: str, recurse: bool, ctx: Context) -> Match:
    col = cmd.def_
    new_type = type_ref(col.typeName)
    using = col.raw_default
    has_using = using is not None and not _trivial_using(using, cmd.name, new_type)
    old_type = ctx.catalog.column_type(relation, cmd.name)
    rewrites = rewrites_on_type_change(
        old_type, new_type, has_using=has_using, utc_session=ctx.catalog.utc_session
    )
    key = "alter-table.alter-column-type" + (".no-rewrite" if rewrites is False else "")
    match = _target_roles(Match(key), ctx, relation, recurse=recurse)
    if rewrites is None and old_type is None:
        match.notes.append(
            f"the current type of {relation}.{cmd.name} is unknown: a rewrite is assumed "
            "(give --schema to decide)"
        )
    elif rewrites is None:
        match.notes.append(
            f"{old_type} -> {new_type} rewrites unless the session TimeZone is UTC: "
            "a rewrite is assumed"
        )
    return match


def _trivial_using(using: object, column: str, new_type: object) -> bool:
    """USING col or USING col::newtype changes nothing that the type change itself does not."""
    if isinstance(using, ast.TypeCast) and using.typeName is not None:
        if type_ref(using.typeName) != new_type:
            return False
        using = using.arg
    return (
        isinstance(using, ast.ColumnRef)
        and isinstance(using.fields[-1], ast.String)
        and using.fields[-1].sval == column
    )


def _add_constraint(con: ast.Constraint, relation: str, recurse: bool, ctx: Context) -> Match:
    def base(key: str) -> Match:
        return _target_roles(Match(key), ctx, relation, recurse=recurse)

    schema, short = relation.split(".", 1)
    not_valid = bool(con.skip_validation)
    if con.contype == ConstrType.CONSTR_CHECK:
        return base("alter-table.add-check" + (".not-valid" if not_valid else ""))
    if con.contype == ConstrType.CONSTR_FOREIGN:
        match = base("alter-table.add-foreign-key" + (".not-valid" if not_valid else ""))
        return match.bind("referenced", ctx.catalog.rangevar(con.pktable))
    if con.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        if con.indexname:
            return (
                Match("alter-table.add-unique-using-index")
                .bind("target", relation)
                .bind("index", f"{schema}.{con.indexname}")
            )
        columns = "_".join(k.sval for k in con.keys or ())
        default_name = (
            f"{short}_pkey"
            if con.contype == ConstrType.CONSTR_PRIMARY
            else f"{short}_{columns}_key"
        )
        return base("alter-table.add-unique").bind("new", f"{schema}.{con.conname or default_name}")
    if con.contype == ConstrType.CONSTR_EXCLUSION:
        return base("alter-table.add-exclusion").bind(
            "new", f"{schema}.{con.conname or short + '_excl'}"
        )
    if con.contype == ConstrType.CONSTR_NOTNULL:
        return base("alter-table.add-not-null-constraint" + (".not-valid" if not_valid else ""))
    return base("alter-table.add-check")


def _attach_partition(cmd: ast.PartitionCmd, relation: str, ctx: Context) -> Match:
    child = ctx.catalog.rangevar(cmd.name)
    parent = ctx.catalog.table(relation)
    default = parent.default_partition if parent is not None else None
    is_default = cmd.bound is not None and cmd.bound.is_default
    if default and not is_default:
        match = Match("alter-table.attach-partition.default").bind("default-partition", default)
    else:
        match = Match("alter-table.attach-partition")
    match.bind("target", relation).bind("partition", child)
    if parent is None:
        match.notes.append(
            f"{relation} is not in the known schema: if it has a DEFAULT partition, that "
            "partition is also scanned under ACCESS EXCLUSIVE"
        )
    return match


# ---- renames and schema moves -------------------------------------------------------------------


@classifies(ast.RenameStmt)
def _rename(node: ast.RenameStmt, ctx: Context) -> list[Match]:
    rt = node.renameType
    if node.relation is None:
        return [Match("no-relation-lock")]
    relation = ctx.catalog.rangevar(node.relation)
    if rt == ObjectType.OBJECT_INDEX:
        return [Match("rename.index").bind("index", relation)]
    key = {
        ObjectType.OBJECT_TABLE: "rename.table",
        ObjectType.OBJECT_FOREIGN_TABLE: "rename.table",
        ObjectType.OBJECT_COLUMN: "rename.column",
        ObjectType.OBJECT_TABCONSTRAINT: "rename.constraint",
        ObjectType.OBJECT_VIEW: "rename.view",
        ObjectType.OBJECT_MATVIEW: "rename.view",
        ObjectType.OBJECT_SEQUENCE: "rename.sequence",
        ObjectType.OBJECT_TRIGGER: "rename.constraint",
        ObjectType.OBJECT_POLICY: "create-policy",
        ObjectType.OBJECT_RULE: "create-rule",
    }.get(rt, "rename.table")
    match = Match(key).bind("target", relation)
    if key == "rename.column" and node.relation.inh:
        match.bind("target-partitions", *_all_partitions(ctx.catalog, relation))
    return [match]


@classifies(ast.AlterObjectSchemaStmt)
def _set_schema(node: ast.AlterObjectSchemaStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        return [Match("no-relation-lock")]
    relation = ctx.catalog.rangevar(node.relation)
    return [Match("alter-table.set-schema").bind("target", relation)]


# ---- CREATE / DROP ------------------------------------------------------------------------------


@classifies(ast.CreateStmt)
def _create_table(node: ast.CreateStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    if (
        node.if_not_exists
        and ctx.catalog.table(relation) is not None
        and not ctx.catalog.is_new(relation)
    ):
        return [Match("no-relation-lock", notes=[f"{relation} exists: IF NOT EXISTS skips it"])]
    matches = [Match("create-table").bind("new", relation)]
    if node.partbound is not None and node.inhRelations:
        parent = ctx.catalog.rangevar(node.inhRelations[0])
        info = ctx.catalog.table(parent)
        default = (
            info.default_partition if info is not None and not node.partbound.is_default else None
        )
        matches.append(
            Match("create-table.partition-of")
            .bind("new", relation)
            .bind("parent", parent)
            .bind("default-partition", default)
        )
    elif node.inhRelations:
        matches.append(
            Match("alter-table.inherit")
            .bind("new", relation)
            .bind("parent", *(ctx.catalog.rangevar(rv) for rv in node.inhRelations))
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
                Match("create-table.like")
                .bind("new", relation)
                .bind("sources", ctx.catalog.rangevar(element.relation))
            )
    if referenced:
        matches.append(
            Match("create-table.references").bind("new", relation).bind("referenced", *referenced)
        )
    return matches


@classifies(ast.CreateForeignTableStmt)
def _create_foreign_table(node: ast.CreateForeignTableStmt, ctx: Context) -> list[Match]:
    return [Match("create-table").bind("new", ctx.catalog.rangevar(node.base.relation))]


@classifies(ast.CreateTableAsStmt)
def _create_table_as(node: ast.CreateTableAsStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.into.rel)
    match = Match("create-table-as").bind("new", relation)
    if not node.into.skipData:
        match.bind("sources", *_sources(node.query, ctx, exclude=[relation]))
    else:
        match.key = "create-view"
        match.bind("sources", *_sources(node.query, ctx, exclude=[relation]))
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
            match = _target_roles(Match("drop-table"), ctx, relation, recurse=True)
            table = ctx.catalog.table(relation)
            if table is not None:
                match.bind("referenced", *(r for r in table.referenced_tables() if r != relation))
                match.bind("sequence", *table.sequences)
            if cascade:
                match.bind("referencing", *ctx.catalog.referencing_tables(relation))
            matches.append(match)
        return matches or [Match("no-relation-lock")]
    if kind == ObjectType.OBJECT_INDEX:
        key = "drop-index.concurrently" if node.concurrent else "drop-index"
        for obj in objects:
            index = ctx.catalog.names(obj)
            if node.missing_ok and ctx.catalog.complete and index not in ctx.catalog.indexes:
                continue
            matches.append(
                Match(key).bind("index", index).bind("index-table", _index_table(index, ctx))
            )
        return matches or [Match("no-relation-lock")]
    if kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE):
        return [Match("drop-view").bind("target", ctx.catalog.names(o)) for o in objects]
    if kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY, ObjectType.OBJECT_RULE):
        key = {
            ObjectType.OBJECT_TRIGGER: "drop-trigger",
            ObjectType.OBJECT_POLICY: "create-policy",
        }.get(kind, "create-rule")
        return [
            Match(key).bind("target", ctx.catalog.names(list(o)[:-1]))
            for o in objects
            if len(o) > 1
        ]
    if kind == ObjectType.OBJECT_SCHEMA and cascade:
        schemas = {getattr(o, "sval", None) for o in node.objects or ()}
        tables = [t for t in ctx.catalog.tables if t.split(".", 1)[0] in schemas]
        return (
            [Match("drop-table").bind("target", *tables)] if tables else [Match("no-relation-lock")]
        )
    if kind == ObjectType.OBJECT_TYPE and cascade:
        return [Match("no-relation-lock", notes=["DROP TYPE … CASCADE drops the columns using it"])]
    return [Match("no-relation-lock")]


@classifies(ast.TruncateStmt)
def _truncate(node: ast.TruncateStmt, ctx: Context) -> list[Match]:
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    matches = []
    for rv in node.relations or ():
        relation = ctx.catalog.rangevar(rv)
        match = _target_roles(Match("truncate.cascade" if cascade else "truncate"), ctx, relation)
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
        return [Match("no-relation-lock", notes=[f"{name} exists: IF NOT EXISTS skips it"])]
    key = "create-index.concurrently" if node.concurrent else "create-index"
    match = Match(key).bind("target", relation).bind("new", name)
    partitions = _all_partitions(ctx.catalog, relation) if node.relation.inh else []
    if partitions:
        match.bind("target-partitions", *partitions)
    return [match]


@classifies(ast.ReindexStmt)
def _reindex(node: ast.ReindexStmt, ctx: Context) -> list[Match]:
    concurrently = any(
        isinstance(p, ast.DefElem) and p.defname == "concurrently" for p in node.params or ()
    )
    if node.relation is None:
        return [
            Match(
                "no-relation-lock",
                notes=["REINDEX SCHEMA / DATABASE / SYSTEM locks every table in turn"],
            )
        ]
    relation = ctx.catalog.rangevar(node.relation)
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        table = _index_table(relation, ctx)
        if concurrently:
            return [
                Match("reindex.concurrently").bind("target", table).bind("target-indexes", relation)
            ]
        return [Match("reindex.index").bind("index", relation).bind("index-table", table)]
    key = "reindex.concurrently" if concurrently else "reindex.table"
    match = (
        Match(key)
        .bind("target", relation)
        .bind("target-indexes", *ctx.catalog.indexes_of(relation))
    )
    return [match]


# ---- views, materialized views ------------------------------------------------------------------


@classifies(ast.ViewStmt)
def _create_view(node: ast.ViewStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.view)
    exists = relation in ctx.catalog.views or relation in ctx.catalog.tables
    key = "create-view.replace" if node.replace and exists else "create-view"
    role = "target" if key == "create-view.replace" else "new"
    return [
        Match(key)
        .bind(role, relation)
        .bind("sources", *_sources(node.query, ctx, exclude=[relation]))
    ]


@classifies(ast.RefreshMatViewStmt)
def _refresh(node: ast.RefreshMatViewStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    key = "refresh-matview.concurrently" if node.concurrent else "refresh-matview"
    return [_target_roles(Match(key), ctx, relation, recurse=False)]


# ---- maintenance --------------------------------------------------------------------------------


@classifies(ast.VacuumStmt)
def _vacuum(node: ast.VacuumStmt, ctx: Context) -> list[Match]:
    options = {d.defname for d in node.options or () if isinstance(d, ast.DefElem)}
    key = "vacuum.full" if "full" in options else "vacuum"
    if not node.is_vacuumcmd:
        key = "analyze"
    relations = [
        ctx.catalog.rangevar(r.relation)
        for r in node.rels or ()
        if isinstance(r, ast.VacuumRelation)
    ]
    if not relations:
        relations = sorted(t for t, info in ctx.catalog.tables.items() if not info.new)
    return [_target_roles(Match(key), ctx, r, recurse=False) for r in relations] or [
        Match(key, notes=["every table of the database, one at a time"])
    ]


@classifies(ast.ClusterStmt)
def _cluster(node: ast.ClusterStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        return [Match("cluster", notes=["every previously clustered table, one at a time"])]
    return [
        _target_roles(Match("cluster"), ctx, ctx.catalog.rangevar(node.relation), recurse=False)
    ]


@classifies(ast.LockStmt)
def _lock_table(node: ast.LockStmt, ctx: Context) -> list[Match]:
    mode = LockMode(node.mode)
    matches = []
    for rv in node.relations or ():
        relation = ctx.catalog.rangevar(rv)
        match = Match("lock-table", mode=mode).bind("target", relation)
        if rv.inh:
            match.bind("target-partitions", *_all_partitions(ctx.catalog, relation))
        matches.append(match)
    # LOCK TABLE recurses to partitions with the same mode: give them the target's mode.
    for match in matches:
        for child in match.roles.pop("target-partitions", []):
            match.bind("target", child)
    return matches


# ---- data ---------------------------------------------------------------------------------------


@classifies(ast.SelectStmt)
def _select(node: ast.SelectStmt, ctx: Context) -> list[Match]:
    if node.intoClause is not None:
        relation = ctx.catalog.rangevar(node.intoClause.rel)
        return [
            Match("create-table-as")
            .bind("new", relation)
            .bind("sources", *_sources(node, ctx, [relation]))
        ]
    sources = _sources(node, ctx)
    key = "select.for-update" if node.lockingClause else "select"
    matches = [_target_roles(Match(key), ctx, s, recurse=True) for s in sources]
    for match in matches:
        for child in match.roles.pop("target-partitions", []):
            match.bind("target", child)
    if not sources:
        matches.append(Match("no-relation-lock"))
    return matches


def _fk_referenced(ctx: Context, relation: str) -> list[str]:
    table = ctx.catalog.table(relation)
    return [r for r in table.referenced_tables() if r != relation] if table else []


@classifies(ast.InsertStmt)
def _insert(node: ast.InsertStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = _target_roles(Match("insert"), ctx, relation, recurse=False)
    match.bind("referenced", *_fk_referenced(ctx, relation))
    if node.selectStmt is not None:
        match.bind("sources", *_sources(node.selectStmt, ctx, exclude=[relation]))
    return [match]


@classifies(ast.UpdateStmt)
def _update(node: ast.UpdateStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = _target_roles(Match("update"), ctx, relation, recurse=False)
    table = ctx.catalog.table(relation)
    updated = {t.name for t in node.targetList or () if isinstance(t, ast.ResTarget)}
    if table is not None:
        # The foreign-key check runs (and locks the referenced table) only when a key changes.
        match.bind(
            "referenced",
            *(
                c.referenced_table
                for c in table.constraints.values()
                if c.kind == "f" and c.referenced_table != relation and updated & set(c.columns)
            ),
        )
    extra = [n for n in (node.fromClause, node.whereClause) if n]
    match.bind("sources", *(s for e in extra for s in _sources(e, ctx, exclude=[relation])))
    return [match]


@classifies(ast.DeleteStmt)
def _delete(node: ast.DeleteStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = _target_roles(Match("delete"), ctx, relation, recurse=False)
    match.bind("referencing", *ctx.catalog.referencing_tables(relation))
    extra = [n for n in (node.usingClause, node.whereClause) if n]
    match.bind("sources", *(s for e in extra for s in _sources(e, ctx, exclude=[relation])))
    return [match]


@classifies(ast.MergeStmt)
def _merge(node: ast.MergeStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = _target_roles(Match("merge"), ctx, relation, recurse=False)
    return [match.bind("sources", *_sources(node.sourceRelation, ctx, exclude=[relation]))]


@classifies(ast.CopyStmt)
def _copy(node: ast.CopyStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        return [Match("select").bind("target", *_sources(node.query, ctx))] if node.query else []
    relation = ctx.catalog.rangevar(node.relation)
    if node.is_from:
        match = _target_roles(Match("copy-from"), ctx, relation, recurse=False)
        return [match.bind("referenced", *_fk_referenced(ctx, relation))]
    return [Match("copy-to").bind("target", relation)]


# ---- other objects ------------------------------------------------------------------------------


@classifies(ast.CreateTrigStmt)
def _create_trigger(node: ast.CreateTrigStmt, ctx: Context) -> list[Match]:
    return [Match("create-trigger").bind("target", ctx.catalog.rangevar(node.relation))]


@classifies(ast.CreatePolicyStmt, ast.AlterPolicyStmt)
def _policy(node: ast.CreatePolicyStmt, ctx: Context) -> list[Match]:
    return [Match("create-policy").bind("target", ctx.catalog.rangevar(node.table))]


@classifies(ast.RuleStmt)
def _rule(node: ast.RuleStmt, ctx: Context) -> list[Match]:
    return [Match("create-rule").bind("target", ctx.catalog.rangevar(node.relation))]


_RELATION_OBJECTS = {
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_INDEX,
    ObjectType.OBJECT_SEQUENCE,
    ObjectType.OBJECT_FOREIGN_TABLE,
}


@classifies(ast.CommentStmt, ast.SecLabelStmt)
def _comment(node: ast.CommentStmt, ctx: Context) -> list[Match]:
    obj = node.object
    if node.objtype in _RELATION_OBJECTS and isinstance(obj, (list, tuple)):
        return [Match("comment").bind("target", ctx.catalog.names(obj))]
    if node.objtype == ObjectType.OBJECT_COLUMN and isinstance(obj, (list, tuple)) and len(obj) > 1:
        return [Match("comment").bind("target", ctx.catalog.names(list(obj)[:-1]))]
    if node.objtype in (
        ObjectType.OBJECT_TABCONSTRAINT,
        ObjectType.OBJECT_TRIGGER,
        ObjectType.OBJECT_POLICY,
        ObjectType.OBJECT_RULE,
    ) and isinstance(obj, (list, tuple)):
        return [Match("comment").bind("target", ctx.catalog.names(list(obj)[:-1]))]
    return [Match("no-relation-lock")]


@classifies(ast.GrantStmt)
def _grant(node: ast.GrantStmt, ctx: Context) -> list[Match]:
    if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_SEQUENCE) and all(
        isinstance(o, ast.RangeVar) for o in node.objects or ()
    ):
        return [
            Match("grant").bind("target", *(ctx.catalog.rangevar(o) for o in node.objects or ()))
        ]
    return [Match("no-relation-lock")]


@classifies(ast.CreateSeqStmt)
def _create_sequence(node: ast.CreateSeqStmt, ctx: Context) -> list[Match]:
    return [Match("create-sequence").bind("new", ctx.catalog.rangevar(node.sequence))]


@classifies(ast.AlterSeqStmt)
def _alter_sequence(node: ast.AlterSeqStmt, ctx: Context) -> list[Match]:
    return [Match("alter-sequence").bind("sequence", ctx.catalog.rangevar(node.sequence))]


@classifies(ast.CreateStatsStmt)
def _create_statistics(node: ast.CreateStatsStmt, ctx: Context) -> list[Match]:
    relations = [
        ctx.catalog.rangevar(r) for r in node.relations or () if isinstance(r, ast.RangeVar)
    ]
    return [Match("create-statistics").bind("target", *relations)]


@classifies(ast.AlterDomainStmt)
def _alter_domain(node: ast.AlterDomainStmt, ctx: Context) -> list[Match]:
    if node.subtype != "C":
        return [Match("no-relation-lock")]
    domain = node.typeName[-1].sval.lower() if node.typeName else ""
    users = [
        t.name
        for t in ctx.catalog.tables.values()
        if any(c.type is not None and c.type.name == domain for c in t.columns.values())
    ]
    match = Match("alter-domain.add-constraint").bind("sources", *users)
    if not users:
        match.notes.append(f"every table with a column of domain {domain} is checked under SHARE")
    return [match]


@classifies(ast.CreateSchemaStmt)
def _create_schema(node: ast.CreateSchemaStmt, ctx: Context) -> list[Match]:
    matches: list[Match] = [Match("no-relation-lock")]
    for element in node.schemaElts or ():
        inner = classify(element, ctx.catalog, ctx.version)
        if inner:
            matches.extend(inner)
    return matches


@classifies(ast.ExplainStmt)
def _explain(node: ast.ExplainStmt, ctx: Context) -> list[Match]:
    analyze = any(isinstance(o, ast.DefElem) and o.defname == "analyze" for o in node.options or ())
    inner = classify(node.query, ctx.catalog, ctx.version) or []
    if analyze:
        return inner
    # Plain EXPLAIN plans the query: the planner's weak locks, nothing is executed.
    return [Match("select").bind("target", *m.roles.get("target", [])) for m in inner] or [
        Match("no-relation-lock")
    ]


@classifies(ast.TransactionStmt)
def _transaction(node: ast.TransactionStmt, ctx: Context) -> list[Match]:
    return [Match("transaction-control")]


@classifies(ast.DoStmt)
def _do(node: ast.DoStmt, ctx: Context) -> list[Match]:
    return plpgsql_matches(node, ctx)


def plpgsql_body(node: ast.DoStmt) -> tuple[str, str] | None:
    """(language, body) of a DO block."""
    language, body = "plpgsql", None
    for arg in node.args or ():
        if isinstance(arg, ast.DefElem) and arg.defname == "as":
            body = arg.arg.sval
        elif isinstance(arg, ast.DefElem) and arg.defname == "language":
            language = arg.arg.sval.lower()
    return (language, body) if body is not None else None


def plpgsql_statements(body: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """The SQL a PL/pgSQL body runs: [(sql, conditional)], plus what cannot be read.

    Static SQL inside the body is returned; EXECUTE of a built string and PERFORM of
    functions are opaque. `conditional` is True under IF / CASE / loops / handlers.
    """
    tag = "pgfence_body"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = (
        "CREATE FUNCTION pg_temp.pgfence_do() RETURNS void LANGUAGE plpgsql "
        f"AS ${tag}${body}${tag}$"
    )
    try:
        tree = json.loads(pglast.parser.parse_plpgsql_json(wrapper))
    except Exception as exc:
        return [], [f"the PL/pgSQL body does not parse: {exc}"]
    found: list[tuple[str, bool]] = []
    opaque: list[str] = []

    def walk(value: object, conditional: bool) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, conditional)
            return
        if not isinstance(value, dict):
            return
        for key, inner in value.items():
            if key == "PLpgSQL_stmt_execsql":
                found.append((inner["sqlstmt"]["PLpgSQL_expr"]["query"], conditional))
            elif key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                opaque.append("EXECUTE of a dynamically built statement")
            else:
                branch = conditional or key in (
                    "PLpgSQL_stmt_if",
                    "PLpgSQL_stmt_case",
                    "PLpgSQL_stmt_loop",
                    "PLpgSQL_stmt_while",
                    "PLpgSQL_stmt_fori",
                    "PLpgSQL_stmt_fors",
                    "PLpgSQL_stmt_foreach_a",
                    "exceptions",
                    "elsif_list",
                    "else_body",
                )
                walk(inner, branch)

    walk(tree, False)
    return found, opaque


def plpgsql_matches(node: ast.DoStmt, ctx: Context) -> list[Match]:
    parsed = plpgsql_body(node)
    if parsed is None or parsed[0] != "plpgsql":
        return [Match("unanalysable", notes=["a DO block in a language pgfence cannot read"])]
    statements, opaque = plpgsql_statements(parsed[1])
    matches: list[Match] = []
    for sql, conditional in statements:
        try:
            inner_nodes = [raw.stmt for raw in pglast.parse_sql(sql)]
        except pglast.parser.ParseError:
            opaque.append(f"cannot parse `{sql[:60]}`")
            continue
        for inner in inner_nodes:
            inner_matches = classify(inner, ctx.catalog, ctx.version)
            if inner_matches is None:
                opaque.append(f"does not know what {type(inner).__name__} locks")
                continue
            if conditional:
                for m in inner_matches:
                    m.notes.append("inside a condition or handler of the DO block: it may not run")
            matches.extend(inner_matches)
    if opaque:
        matches.append(
            Match("unanalysable", notes=[f"DO block: {', '.join(dict.fromkeys(opaque))}"])
        )
    return matches or [Match("no-relation-lock")]


_NO_RELATION_LOCK = (
    ast.VariableSetStmt,
    ast.VariableShowStmt,
    ast.CreateFunctionStmt,
    ast.AlterFunctionStmt,
    ast.CreateEnumStmt,
    ast.AlterEnumStmt,
    ast.CreateDomainStmt,
    ast.DefineStmt,
    ast.CompositeTypeStmt,
    ast.CreateRangeStmt,
    ast.CreateExtensionStmt,
    ast.AlterExtensionStmt,
    ast.CreateRoleStmt,
    ast.AlterRoleStmt,
    ast.AlterRoleSetStmt,
    ast.DropRoleStmt,
    ast.GrantRoleStmt,
    ast.AlterDefaultPrivilegesStmt,
    ast.AlterOwnerStmt,
    ast.CreateCastStmt,
    ast.CreateConversionStmt,
    ast.CreateOpClassStmt,
    ast.CreateOpFamilyStmt,
    ast.AlterOpFamilyStmt,
    ast.CreateTransformStmt,
    ast.CreateEventTrigStmt,
    ast.AlterEventTrigStmt,
    ast.CreateFdwStmt,
    ast.CreateForeignServerStmt,
    ast.CreateUserMappingStmt,
    ast.CreatePLangStmt,
    ast.AlterDatabaseSetStmt,
    ast.AlterDatabaseStmt,
    ast.AlterSystemStmt,
    ast.CreatedbStmt,
    ast.DropdbStmt,
    ast.NotifyStmt,
    ast.ListenStmt,
    ast.UnlistenStmt,
    ast.DiscardStmt,
    ast.CheckPointStmt,
    ast.PrepareStmt,
    ast.DeallocateStmt,
    ast.LoadStmt,
    ast.ConstraintsSetStmt,
    ast.AlterTSConfigurationStmt,
    ast.AlterTSDictionaryStmt,
    ast.AlterCollationStmt,
    ast.CreateAmStmt,
    ast.CreateTableSpaceStmt,
    ast.DropTableSpaceStmt,
    ast.AlterTypeStmt,
)


def _no_relation_lock(node: object, ctx: Context) -> list[Match]:
    return [Match("no-relation-lock")]


for _node_type in _NO_RELATION_LOCK:
    _CLASSIFIERS.setdefault(_node_type, _no_relation_lock)


@classifies(ast.CallStmt, ast.ExecuteStmt)
def _opaque_call(node: object, ctx: Context) -> list[Match]:
    return [
        Match(
            "unanalysable", notes=["calls a procedure or prepared statement: its locks are unknown"]
        )
    ]


# Statements with no relation lock that Postgres still refuses inside a transaction block.
_NEVER_IN_TRANSACTION = (
    ast.CreatedbStmt,
    ast.DropdbStmt,
    ast.AlterSystemStmt,
    ast.CreateTableSpaceStmt,
    ast.DropTableSpaceStmt,
    ast.CreateSubscriptionStmt,
)


def runs_in_transaction(node: object) -> bool:
    """Can Postgres run this statement inside a transaction block (BEGIN … COMMIT)?"""
    if node is None:
        return True
    if isinstance(node, _NEVER_IN_TRANSACTION):
        return False
    if isinstance(node, ast.ReindexStmt) and node.relation is None:
        return False  # REINDEX SCHEMA / DATABASE / SYSTEM
    if isinstance(node, ast.ClusterStmt) and node.relation is None:
        return False
    matches = classify(node, Catalog(), NEWEST) or []
    return all(BY_KEY[m.key][0].transactional for m in matches if m.key in BY_KEY)
