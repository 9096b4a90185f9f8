"""ALTER TABLE, ALTER INDEX, renames and SET SCHEMA."""

from __future__ import annotations

from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    ObjectType,
)

from pgfence.analysis.catalog import type_ref
from pgfence.analysis.expressions import Volatility, volatility
from pgfence.analysis.predict.core import (
    Context,
    Match,
    all_partitions,
    classifies,
    index_table,
    target_roles,
)
from pgfence.analysis.types import rewrites_on_type_change

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
        "autovacuum_enabled",
        "vacuum_max_eager_freeze_failure_rate",
    }
)
_EXCLUSIVE_RELOPTIONS = frozenset(
    {"security_barrier", "security_invoker", "check_option", "user_catalog_table"}
)


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
    if sub == AlterTableType.AT_SetTableSpace and (cmd.name or "").lower() == "pg_default":
        key = "alter-index.set-tablespace.unchanged"
    match = Match(key).bind("index", index).bind("index-table", index_table(index, ctx))
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        child = ctx.catalog.rangevar(cmd.def_.name)
        match.bind("partition", child).bind("index-table", index_table(child, ctx))
    return match


_SIMPLE_SUBCOMMANDS = {
    AlterTableType.AT_DropNotNull: "alter-table.drop-not-null",
    AlterTableType.AT_ColumnDefault: "alter-table.set-default",
    AlterTableType.AT_CookedColumnDefault: "alter-table.set-default",
    AlterTableType.AT_SetStatistics: "alter-table.set-statistics",
    AlterTableType.AT_SetOptions: "alter-table.set-column-options",
    AlterTableType.AT_ResetOptions: "alter-table.set-column-options",
    AlterTableType.AT_SetStorage: "alter-table.set-storage",
    AlterTableType.AT_SetCompression: "alter-table.set-compression",
    AlterTableType.AT_DropExpression: "alter-table.drop-expression",
    AlterTableType.AT_SetExpression: "alter-table.set-expression",
    AlterTableType.AT_AlterConstraint: "alter-table.alter-constraint",
    AlterTableType.AT_SetLogged: "alter-table.set-logged",
    AlterTableType.AT_SetUnLogged: "alter-table.set-logged",
    AlterTableType.AT_DropCluster: "alter-table.cluster-on",
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
        return target_roles(Match(key), ctx, relation, recurse=recurse)

    if sub in _SIMPLE_SUBCOMMANDS:
        return [base(_SIMPLE_SUBCOMMANDS[sub])]
    if sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _add_column(cmd.def_, relation, recurse, ctx)
    if sub == AlterTableType.AT_DropColumn:
        match = base("alter-table.drop-column")
        match.bind("index", *_indexes_on(ctx, relation, cmd.name))
        match.bind("referenced", *_referenced_through(ctx, relation, cmd.name))
        if cmd.name:
            match.bind("sequence", *ctx.catalog.sequences_of(relation, {cmd.name}))
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
        key = (
            "alter-table.inherit"
            if sub == AlterTableType.AT_AddInherit
            else "alter-table.no-inherit"
        )
        return [base(key).bind("parent", parent)]
    schema = relation.split(".", 1)[0]
    if sub == AlterTableType.AT_ClusterOn:
        return [base("alter-table.cluster-on").bind("index", f"{schema}.{cmd.name}")]
    if sub == AlterTableType.AT_ReplicaIdentity:
        match = base("alter-table.replica-identity")
        if isinstance(cmd.def_, ast.ReplicaIdentityStmt) and cmd.def_.name:
            match.bind("index", f"{schema}.{cmd.def_.name}")
        return [match]
    if sub == AlterTableType.AT_SetTableSpace:
        # Tables live in pg_default unless the schema says otherwise: moving there is a no-op.
        unchanged = (cmd.name or "").lower() == "pg_default"
        return [base("alter-table.set-tablespace" + (".unchanged" if unchanged else ""))]
    if sub == AlterTableType.AT_SetAccessMethod:
        unchanged = (cmd.name or "heap").lower() == "heap"
        return [base("alter-table.set-access-method" + (".unchanged" if unchanged else ""))]
    if sub in (
        AlterTableType.AT_AddIdentity,
        AlterTableType.AT_SetIdentity,
        AlterTableType.AT_DropIdentity,
    ):
        match = base("alter-table.identity")
        short = relation.split(".", 1)[1]
        column = (
            ctx.catalog.tables[relation].columns.get(cmd.name)
            if relation in ctx.catalog.tables
            else None
        )
        sequence = column.sequence if column is not None and column.sequence else None
        if sub == AlterTableType.AT_AddIdentity:
            match.bind("new", f"{schema}.{short}_{cmd.name}_seq")
        else:
            match.bind("sequence", sequence or f"{schema}.{short}_{cmd.name}_seq")
        return [match]
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        return [_attach_partition(cmd.def_, relation, ctx)]
    if sub == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        key = "alter-table.detach-partition" + (".concurrently" if cmd.def_.concurrent else "")
        child = ctx.catalog.rangevar(cmd.def_.name)
        match = Match(key).bind("target", relation).bind("partition", child)
        parent_table = ctx.catalog.table(relation)
        if parent_table is not None and parent_table.default_partition not in (None, child):
            match.bind("default-partition", parent_table.default_partition)
        # A foreign key that references the parent is re-checked against what remains.
        if not cmd.def_.concurrent:
            match.bind("referencing", *ctx.catalog.referencing_tables(relation))
        return [match]
    if sub == AlterTableType.AT_ChangeOwner:
        # The sequences its columns own change owner with it.
        return [base("alter-table.owner").bind("sequence", *ctx.catalog.sequences_of(relation))]
    match = base("alter-table.owner")
    match.notes.append(f"ALTER TABLE {sub.name} is not in the lock table: assumed ACCESS EXCLUSIVE")
    return [match]


def _constraint(ctx: Context, relation: str, name: str | None) -> object:
    table = ctx.catalog.table(relation)
    if table is None or name is None:
        return None
    return table.constraints.get(name)


def _add_column(col: ast.ColumnDef, relation: str, recurse: bool, ctx: Context) -> list[Match]:
    def base(key: str) -> Match:
        return target_roles(Match(key), ctx, relation, recurse=recurse)

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
    indexes = _indexes_on(ctx, relation, cmd.name)
    rebuilt = [i for i in indexes if ctx.catalog.indexes[i].partial_or_expression]
    key = "alter-table.alter-column-type"
    if rewrites is False:
        key += ".rebuilds-index" if rebuilt else ".no-rewrite"
    match = target_roles(Match(key), ctx, relation, recurse=recurse)
    # Indexes on the column are checked (and kept) even without a rewrite, but partial and
    # expression ones are rebuilt; foreign keys on the column, on either side, are dropped
    # and added again.
    match.bind("index", *indexes)
    match.bind("rebuilt-index", *rebuilt)
    match.bind("referenced", *_referenced_through(ctx, relation, cmd.name))
    match.bind("referencing", *_referencing_through(ctx, relation, cmd.name))
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


def _indexes_on(ctx: Context, relation: str, column: str | None) -> list[str]:
    table = ctx.catalog.table(relation)
    if table is None or column is None:
        return []
    return [
        i for i in table.indexes if i in ctx.catalog.indexes and ctx.catalog.indexes[i].uses(column)
    ]


def _referenced_through(ctx: Context, relation: str, column: str | None) -> list[str]:
    """Tables referenced by foreign keys of `relation` that include `column`."""
    table = ctx.catalog.table(relation)
    if table is None:
        return []
    return sorted(
        {
            c.referenced_table
            for c in table.constraints.values()
            if c.kind == "f"
            and c.referenced_table
            and c.referenced_table != relation
            and column in c.columns
        }
    )


def _referencing_through(ctx: Context, relation: str, column: str | None) -> list[str]:
    """Tables whose foreign keys point at `relation`, when `column` is part of a key of it."""
    table = ctx.catalog.table(relation)
    if table is None:
        return []
    keyed = any(c.kind in ("p", "u") and column in c.columns for c in table.constraints.values())
    return ctx.catalog.referencing_tables(relation) if keyed else []


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
        return target_roles(Match(key), ctx, relation, recurse=recurse)

    schema, short = relation.split(".", 1)
    not_valid = bool(con.skip_validation)
    if con.contype == ConstrType.CONSTR_CHECK:
        return base("alter-table.add-check" + (".not-valid" if not_valid else ""))
    if con.contype == ConstrType.CONSTR_FOREIGN:
        match = base("alter-table.add-foreign-key" + (".not-valid" if not_valid else ""))
        return match.bind("referenced", ctx.catalog.rangevar(con.pktable))
    if con.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        if con.indexname:
            # The index takes the constraint's name: a different name means a rename.
            renamed = con.conname is not None and con.conname != con.indexname
            key = "alter-table.add-unique-using-index" + (".renamed" if renamed else "")
            return Match(key).bind("target", relation).bind("index", f"{schema}.{con.indexname}")
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
        ObjectType.OBJECT_TRIGGER: "rename.trigger",
        ObjectType.OBJECT_POLICY: "create-policy",
        ObjectType.OBJECT_RULE: "create-rule",
    }.get(rt, "rename.table")
    match = Match(key).bind("target", relation)
    if key == "rename.column" and node.relation.inh:
        match.bind("target-partitions", *all_partitions(ctx.catalog, relation))
    if key == "rename.constraint":
        constraint = (
            ctx.catalog.tables[relation].constraints.get(node.subname or "")
            if relation in ctx.catalog.tables
            else None
        )
        if constraint is not None and constraint.kind in ("p", "u", "x"):
            match.bind("index", f"{relation.split('.', 1)[0]}.{node.subname}")  # renamed with it
    return [match]


@classifies(ast.AlterObjectSchemaStmt)
def _set_schema(node: ast.AlterObjectSchemaStmt, ctx: Context) -> list[Match]:
    if node.relation is None:
        return [Match("no-relation-lock")]
    relation = ctx.catalog.rangevar(node.relation)
    match = Match("alter-table.set-schema").bind("target", relation)
    return [match.bind("sequence", *ctx.catalog.sequences_of(relation))]
