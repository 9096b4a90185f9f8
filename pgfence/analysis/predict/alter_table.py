"""ALTER TABLE, ALTER INDEX, renames and SET SCHEMA."""

from __future__ import annotations

from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    DropBehavior,
    ObjectType,
)

from pgfence.analysis.catalog import Column, Constraint, type_ref
from pgfence.analysis.expressions import Volatility, volatility
from pgfence.analysis.predict.core import (
    Context,
    Match,
    absent,
    all_partitions,
    classifies,
    index_table,
    target_roles,
)
from pgfence.analysis.types import rewrites_on_type_change
from pgfence.pg.locktable import row_for
from pgfence.pg.rows import Row

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
    if absent(ctx, relation, node.missing_ok):
        return [Match(Row.NO_RELATION_LOCK)]
    if node.objtype == ObjectType.OBJECT_INDEX:
        return [_alter_index_cmd(cmd, relation, ctx) for cmd in node.cmds or ()]
    matches: list[Match] = []
    for cmd in node.cmds or ():
        matches.extend(_alter_table_cmd(cmd, relation, recurse, ctx))
    _replaced_keys(node, matches, relation)
    # Postgres takes one lock on the target for the whole ALTER TABLE, the strongest any
    # sub-command needs (AlterTableGetLockLevel); _dominant() keeps just that one.
    return matches


def _alter_index_cmd(cmd: ast.AlterTableCmd, index: str, ctx: Context) -> Match:
    sub = cmd.subtype
    key = {
        AlterTableType.AT_SetRelOptions: Row.ALTER_INDEX__SET_OPTIONS,
        AlterTableType.AT_ResetRelOptions: Row.ALTER_INDEX__SET_OPTIONS,
        AlterTableType.AT_SetTableSpace: Row.ALTER_INDEX__SET_TABLESPACE,
        AlterTableType.AT_AttachPartition: Row.ALTER_INDEX__ATTACH_PARTITION,
        AlterTableType.AT_SetStatistics: Row.ALTER_INDEX__SET_STATISTICS,
    }.get(sub, Row.ALTER_INDEX__SET_TABLESPACE)
    if sub == AlterTableType.AT_SetTableSpace and (cmd.name or "").lower() == "pg_default":
        key = Row.ALTER_INDEX__SET_TABLESPACE__UNCHANGED
    match = Match(key).bind("index", index).bind("index-table", index_table(index, ctx))
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        child = ctx.catalog.rangevar(cmd.def_.name)
        match.bind("partition", child).bind("index-table", index_table(child, ctx))
    return match


_SIMPLE_SUBCOMMANDS = {
    AlterTableType.AT_DropNotNull: Row.ALTER_TABLE__DROP_NOT_NULL,
    AlterTableType.AT_ColumnDefault: Row.ALTER_TABLE__SET_DEFAULT,
    AlterTableType.AT_CookedColumnDefault: Row.ALTER_TABLE__SET_DEFAULT,
    AlterTableType.AT_SetStatistics: Row.ALTER_TABLE__SET_STATISTICS,
    AlterTableType.AT_SetOptions: Row.ALTER_TABLE__SET_COLUMN_OPTIONS,
    AlterTableType.AT_ResetOptions: Row.ALTER_TABLE__SET_COLUMN_OPTIONS,
    AlterTableType.AT_SetStorage: Row.ALTER_TABLE__SET_STORAGE,
    AlterTableType.AT_SetCompression: Row.ALTER_TABLE__SET_COMPRESSION,
    AlterTableType.AT_DropExpression: Row.ALTER_TABLE__DROP_EXPRESSION,
    AlterTableType.AT_SetLogged: Row.ALTER_TABLE__SET_LOGGED,
    AlterTableType.AT_SetUnLogged: Row.ALTER_TABLE__SET_LOGGED,
    AlterTableType.AT_DropCluster: Row.ALTER_TABLE__CLUSTER_ON,
    AlterTableType.AT_DropOids: Row.ALTER_TABLE__OWNER,
    AlterTableType.AT_EnableTrig: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_EnableAlwaysTrig: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_EnableReplicaTrig: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_DisableTrig: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_EnableTrigAll: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_DisableTrigAll: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_EnableTrigUser: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_DisableTrigUser: Row.ALTER_TABLE__TRIGGER_TOGGLE,
    AlterTableType.AT_EnableRule: Row.ALTER_TABLE__RULE_TOGGLE,
    AlterTableType.AT_EnableAlwaysRule: Row.ALTER_TABLE__RULE_TOGGLE,
    AlterTableType.AT_EnableReplicaRule: Row.ALTER_TABLE__RULE_TOGGLE,
    AlterTableType.AT_DisableRule: Row.ALTER_TABLE__RULE_TOGGLE,
    AlterTableType.AT_EnableRowSecurity: Row.ALTER_TABLE__ROW_SECURITY,
    AlterTableType.AT_DisableRowSecurity: Row.ALTER_TABLE__ROW_SECURITY,
    AlterTableType.AT_ForceRowSecurity: Row.ALTER_TABLE__ROW_SECURITY,
    AlterTableType.AT_NoForceRowSecurity: Row.ALTER_TABLE__ROW_SECURITY,
    AlterTableType.AT_AddOf: Row.ALTER_TABLE__OF_TYPE,
    AlterTableType.AT_DropOf: Row.ALTER_TABLE__OF_TYPE,
    AlterTableType.AT_GenericOptions: Row.ALTER_TABLE__GENERIC_OPTIONS,
    AlterTableType.AT_AlterColumnGenericOptions: Row.ALTER_TABLE__GENERIC_OPTIONS,
    AlterTableType.AT_DetachPartitionFinalize: Row.ALTER_TABLE__DETACH_PARTITION__CONCURRENTLY,
}


def _replaced_keys(node: ast.AlterTableStmt, matches: list[Match], relation: str) -> None:
    """A key dropped and added again under its name in one ALTER TABLE (documenso: DROP
    CONSTRAINT "UserProfile_pkey", …, ADD CONSTRAINT "UserProfile_pkey" PRIMARY KEY): the
    name's index is built anew, a new file under the old name, as a rebuild looks."""
    schema = relation.split(".", 1)[0]
    dropped = {
        f"{schema}.{cmd.name}"
        for cmd in node.cmds or ()
        if cmd.subtype == AlterTableType.AT_DropConstraint and cmd.name
    }
    for match in matches:
        if match.key in (Row.ALTER_TABLE__ADD_UNIQUE, Row.ALTER_TABLE__ADD_EXCLUSION):
            match.bind("rebuilt-index", *(n for n in match.roles.get("new", ()) if n in dropped))


def _alter_table_cmd(
    cmd: ast.AlterTableCmd, relation: str, recurse: bool, ctx: Context
) -> list[Match]:
    sub = cmd.subtype

    def base(key: str) -> Match:
        return target_roles(Match(key), ctx, relation, recurse=recurse)

    if sub in _SIMPLE_SUBCOMMANDS:
        return [base(_SIMPLE_SUBCOMMANDS[sub])]
    if sub == AlterTableType.AT_SetExpression:
        virtual = _column(ctx, relation, cmd.name)
        if virtual is not None and virtual.generated == "v":
            return [base(Row.ALTER_TABLE__SET_EXPRESSION__VIRTUAL)]
        return [base(Row.ALTER_TABLE__SET_EXPRESSION)]
    if sub == AlterTableType.AT_AlterConstraint:
        return [_alter_constraint(cmd, relation, ctx)]
    if sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _add_column(cmd.def_, relation, recurse, ctx)
    if sub == AlterTableType.AT_DropColumn:
        match = base(Row.ALTER_TABLE__DROP_COLUMN)
        match.bind("index", *_indexes_on(ctx, relation, cmd.name))
        match.bind("referenced", *_referenced_through(ctx, relation, cmd.name))
        if cmd.name:
            match.bind("sequence", *ctx.catalog.sequences_of(relation, {cmd.name}))
        if cmd.behavior == DropBehavior.DROP_CASCADE and cmd.name:
            keys = [
                f"column:{p}.{cmd.name}" for p in [relation, *all_partitions(ctx.catalog, relation)]
            ]
            match.bind("dependents", *ctx.catalog.cascade_from(keys, {relation}))
        return [match]
    if sub == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
        return [_alter_column_type(cmd, relation, recurse, ctx)]
    if sub == AlterTableType.AT_SetNotNull:
        table = ctx.catalog.table(relation)
        proven = table is not None and (
            table.not_null_proven(cmd.name)
            or (cmd.name in table.columns and table.columns[cmd.name].not_null)
        )
        return [
            base(Row.ALTER_TABLE__SET_NOT_NULL__PROVEN if proven else Row.ALTER_TABLE__SET_NOT_NULL)
        ]
    if sub in (
        AlterTableType.AT_AddConstraint,
        AlterTableType.AT_AddIndexConstraint,
    ) and isinstance(cmd.def_, ast.Constraint):
        return [_add_constraint(cmd.def_, relation, recurse, ctx)]
    if sub == AlterTableType.AT_ValidateConstraint:
        constraint = _constraint(ctx, relation, cmd.name)
        if constraint is not None and constraint.kind == "f":
            return [
                base(Row.ALTER_TABLE__VALIDATE_FOREIGN_KEY).bind(
                    "referenced", constraint.referenced_table
                )
            ]
        match = base(Row.ALTER_TABLE__VALIDATE_CONSTRAINT)
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
                base(Row.ALTER_TABLE__DROP_FOREIGN_KEY).bind(
                    "referenced", constraint.referenced_table
                )
            ]
        match = base(Row.ALTER_TABLE__DROP_CONSTRAINT)
        if constraint is not None and constraint.kind in ("p", "u", "x"):
            schema = relation.split(".", 1)[0]
            match.bind("target-indexes", f"{schema}.{cmd.name}")
            if cmd.behavior == DropBehavior.DROP_CASCADE:
                # The foreign keys that need its index go with it.
                match.bind(
                    "dependents", *ctx.catalog.cascade_from([f"{schema}.{cmd.name}"], {relation})
                )
        return [match]
    if sub in (AlterTableType.AT_SetRelOptions, AlterTableType.AT_ResetRelOptions):
        names = {d.defname.lower() for d in cmd.def_ or () if isinstance(d, ast.DefElem)}
        exclusive = bool(names & _EXCLUSIVE_RELOPTIONS) or any(
            not (n in _SUE_RELOPTIONS or n.startswith(("autovacuum_", "toast."))) for n in names
        )
        return [
            base(
                Row.ALTER_TABLE__SET_RELOPTIONS__EXCLUSIVE
                if exclusive
                else Row.ALTER_TABLE__SET_RELOPTIONS
            )
        ]
    if sub in (AlterTableType.AT_AddInherit, AlterTableType.AT_DropInherit):
        parent = ctx.catalog.rangevar(cmd.def_) if isinstance(cmd.def_, ast.RangeVar) else None
        key = (
            Row.ALTER_TABLE__INHERIT
            if sub == AlterTableType.AT_AddInherit
            else Row.ALTER_TABLE__NO_INHERIT
        )
        return [base(key).bind("parent", parent)]
    schema = relation.split(".", 1)[0]
    if sub == AlterTableType.AT_ClusterOn:
        return [base(Row.ALTER_TABLE__CLUSTER_ON).bind("index", f"{schema}.{cmd.name}")]
    if sub == AlterTableType.AT_ReplicaIdentity:
        match = base(Row.ALTER_TABLE__REPLICA_IDENTITY)
        if isinstance(cmd.def_, ast.ReplicaIdentityStmt) and cmd.def_.name:
            match.bind("index", f"{schema}.{cmd.def_.name}")
        return [match]
    if sub == AlterTableType.AT_SetTableSpace:
        # Tables live in pg_default unless the schema says otherwise: moving there is a no-op.
        unchanged = (cmd.name or "").lower() == "pg_default"
        return [
            base(
                Row.ALTER_TABLE__SET_TABLESPACE__UNCHANGED
                if unchanged
                else Row.ALTER_TABLE__SET_TABLESPACE
            )
        ]
    if sub == AlterTableType.AT_SetAccessMethod:
        unchanged = (cmd.name or "heap").lower() == "heap"
        return [
            base(
                Row.ALTER_TABLE__SET_ACCESS_METHOD__UNCHANGED
                if unchanged
                else Row.ALTER_TABLE__SET_ACCESS_METHOD
            )
        ]
    if sub in (
        AlterTableType.AT_AddIdentity,
        AlterTableType.AT_SetIdentity,
        AlterTableType.AT_DropIdentity,
    ):
        match = base(
            Row.ALTER_TABLE__IDENTITY__SEQUENCE_OPTIONS
            if sub == AlterTableType.AT_SetIdentity
            else Row.ALTER_TABLE__IDENTITY
        )
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
        options = {d.defname for d in cmd.def_ or () if isinstance(d, ast.DefElem)}
        if sub == AlterTableType.AT_SetIdentity and options <= {"generated"}:
            # SET GENERATED alone changes the column, not the sequence's parameters.
            match.unchanged.extend(match.roles.get("sequence", []))
        return [match]
    if sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        return [_attach_partition(cmd.def_, relation, ctx)]
    if sub == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        key = (
            Row.ALTER_TABLE__DETACH_PARTITION__CONCURRENTLY
            if cmd.def_.concurrent
            else Row.ALTER_TABLE__DETACH_PARTITION
        )
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
        return [base(Row.ALTER_TABLE__OWNER).bind("sequence", *ctx.catalog.sequences_of(relation))]
    match = base(Row.ALTER_TABLE__OWNER)
    match.notes.append(f"ALTER TABLE {sub.name} is not in the lock table: assumed ACCESS EXCLUSIVE")
    return [match]


def _column(ctx: Context, relation: str, name: str | None) -> Column | None:
    table = ctx.catalog.table(relation)
    return table.columns.get(name or "") if table is not None else None


def _alter_constraint(cmd: ast.AlterTableCmd, relation: str, ctx: Context) -> Match:
    """ALTER CONSTRAINT: deferrability, and PG 18's [NOT] ENFORCED of a foreign key."""
    change = cmd.def_
    constraint = _constraint(ctx, relation, getattr(change, "conname", None))
    referenced = constraint.referenced_table if constraint is not None else None
    if isinstance(change, ast.ATAlterConstraint) and change.alterEnforceability:
        key = (
            Row.ALTER_TABLE__ALTER_CONSTRAINT__ENFORCED
            if change.is_enforced
            else Row.ALTER_TABLE__ALTER_CONSTRAINT__NOT_ENFORCED
        )
        match = Match(key).bind("target", relation).bind("referenced", referenced)
        if constraint is None:
            match.notes.append(
                f"constraint {getattr(change, 'conname', '?')} is not in the known schema: the "
                "table it references is locked too (unknown: give --schema)"
            )
        return match
    return Match(Row.ALTER_TABLE__ALTER_CONSTRAINT).bind("target", relation)


def _constraint(ctx: Context, relation: str, name: str | None) -> Constraint | None:
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
            base(Row.ALTER_TABLE__ADD_COLUMN__SERIAL).bind(
                "new", f"{schema}.{short}_{col.colname}_seq"
            )
        )
    elif ConstrType.CONSTR_IDENTITY in kinds:
        matches.append(
            base(Row.ALTER_TABLE__ADD_COLUMN__IDENTITY).bind(
                "new", f"{schema}.{short}_{col.colname}_seq"
            )
        )
    elif generated is not None:
        virtual = getattr(generated, "generated_kind", "s") == "v"
        if virtual and row_for(Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED, ctx.version) is None:
            # Refused on this version; what it would lock is what STORED locks.
            matches.append(base(Row.ALTER_TABLE__ADD_COLUMN__STORED_GENERATED))
            matches[-1].notes.append("virtual generated columns need PostgreSQL 18; add STORED")
            matches[-1].unavailable.append(Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED)
        else:
            matches.append(
                base(
                    Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED
                    if virtual
                    else Row.ALTER_TABLE__ADD_COLUMN__STORED_GENERATED
                )
            )
    elif default is not None:
        v = volatility(default)
        if v is Volatility.NON_VOLATILE:
            matches.append(base(Row.ALTER_TABLE__ADD_COLUMN))
        else:
            match = base(Row.ALTER_TABLE__ADD_COLUMN__VOLATILE_DEFAULT)
            if v is Volatility.UNKNOWN:
                match.notes.append(
                    "the default calls a function pgfence does not know; taken as volatile "
                    "(a rewrite) — if it is STABLE or IMMUTABLE there is no rewrite"
                )
            matches.append(match)
    elif col.is_not_null or ConstrType.CONSTR_NOTNULL in kinds:
        matches.append(base(Row.ALTER_TABLE__ADD_COLUMN__NOT_NULL_NO_DEFAULT))
    else:
        matches.append(base(Row.ALTER_TABLE__ADD_COLUMN))
    for con in constraints:
        if con.contype == ConstrType.CONSTR_CHECK:
            matches.append(base(Row.ALTER_TABLE__ADD_COLUMN__CHECK))
        elif con.contype == ConstrType.CONSTR_FOREIGN:
            matches.append(
                base(Row.ALTER_TABLE__ADD_COLUMN__REFERENCES).bind(
                    "referenced", ctx.catalog.rangevar(con.pktable)
                )
            )
        elif con.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
            suffix = "pkey" if con.contype == ConstrType.CONSTR_PRIMARY else f"{col.colname}_key"
            name = con.conname or f"{short}_{suffix}"
            matches.append(
                base(Row.ALTER_TABLE__ADD_COLUMN__UNIQUE).bind("new", f"{schema}.{name}")
            )
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
    domain = ctx.catalog.domain(new_type)
    if domain is not None and not has_using and old_type is not None:
        # To a domain over the same type: no rewrite without constraints; with them,
        # every value is checked by rewriting (ATColumnChangeRequiresRewrite).
        base, constrained = domain
        same = base is not None and (base.name, base.modifiers) == (
            old_type.name,
            old_type.modifiers,
        )
        rewrites = constrained or not same
    indexes = _indexes_on(ctx, relation, cmd.name)
    rebuilt = [i for i in indexes if ctx.catalog.indexes[i].partial_or_expression]
    if col.collClause is not None and rewrites is False:
        # A new collation keeps the values but not their order: every index on the column
        # is rebuilt (CheckIndexCompatible compares collations).
        rebuilt = indexes
    key = Row.ALTER_TABLE__ALTER_COLUMN_TYPE
    if rewrites is False:
        key = (
            Row.ALTER_TABLE__ALTER_COLUMN_TYPE__REBUILDS_INDEX
            if rebuilt
            else Row.ALTER_TABLE__ALTER_COLUMN_TYPE__NO_REWRITE
        )
    column = _column(ctx, relation, cmd.name)
    if column is not None and column.generated == "v":
        # PG 18: a virtual column has no stored values to convert.
        key = Row.ALTER_TABLE__ALTER_COLUMN_TYPE__NO_REWRITE
    match = target_roles(Match(key), ctx, relation, recurse=recurse)
    if column is not None and column.identity and column.sequence:
        match.bind("sequence", column.sequence)  # ALTER SEQUENCE … AS the new type
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
    """Tables whose foreign keys reference `column` of `relation` (those keys are dropped
    and added again; a key of `relation` that includes the column but that no foreign key
    references touches no other table: netbox's dcim_device.position, in a unique
    constraint, was predicted to lock the 13 tables that reference dcim_device.id)."""
    table = ctx.catalog.table(relation)
    if table is None:
        return []
    keyed = any(c.kind in ("p", "u") and column in c.columns for c in table.constraints.values())
    if not keyed:
        return []
    return sorted(
        {
            other.name
            for other in ctx.catalog.tables.values()
            if other.name != relation
            for c in other.constraints.values()
            if c.kind == "f"
            and c.referenced_table == relation
            and (c.referenced_columns is None or column in c.referenced_columns)
        }
    )


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
    not_valid = bool(con.skip_validation)  # NOT ENFORCED (PG 18) sets it too
    if con.contype == ConstrType.CONSTR_CHECK:
        return base(
            Row.ALTER_TABLE__ADD_CHECK__NOT_VALID if not_valid else Row.ALTER_TABLE__ADD_CHECK
        )
    if con.contype == ConstrType.CONSTR_FOREIGN:
        match = base(
            Row.ALTER_TABLE__ADD_FOREIGN_KEY__NOT_VALID
            if not_valid
            else Row.ALTER_TABLE__ADD_FOREIGN_KEY
        )
        referenced = ctx.catalog.rangevar(con.pktable)
        match.bind("referenced", referenced)
        # A partitioned referenced table: the foreign key's triggers go on every partition.
        return match.bind("referenced-partitions", *all_partitions(ctx.catalog, referenced))
    if con.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        if con.indexname:
            # The index takes the constraint's name: a different name means a rename.
            renamed = con.conname is not None and con.conname != con.indexname
            key = (
                Row.ALTER_TABLE__ADD_UNIQUE_USING_INDEX__RENAMED
                if renamed
                else Row.ALTER_TABLE__ADD_UNIQUE_USING_INDEX
            )
            return Match(key).bind("target", relation).bind("index", f"{schema}.{con.indexname}")
        columns = "_".join(k.sval for k in con.keys or ())
        default_name = (
            f"{short}_pkey"
            if con.contype == ConstrType.CONSTR_PRIMARY
            else f"{short}_{columns}_key"
        )
        return base(Row.ALTER_TABLE__ADD_UNIQUE).bind(
            "new", f"{schema}.{con.conname or default_name}"
        )
    if con.contype == ConstrType.CONSTR_EXCLUSION:
        return base(Row.ALTER_TABLE__ADD_EXCLUSION).bind(
            "new", f"{schema}.{con.conname or short + '_excl'}"
        )
    if con.contype == ConstrType.CONSTR_NOTNULL:
        return base(
            Row.ALTER_TABLE__ADD_NOT_NULL_CONSTRAINT__NOT_VALID
            if not_valid
            else Row.ALTER_TABLE__ADD_NOT_NULL_CONSTRAINT
        )
    return base(Row.ALTER_TABLE__ADD_CHECK)


def _attach_partition(cmd: ast.PartitionCmd, relation: str, ctx: Context) -> Match:
    child = ctx.catalog.rangevar(cmd.name)
    parent = ctx.catalog.table(relation)
    default = parent.default_partition if parent is not None else None
    is_default = cmd.bound is not None and cmd.bound.is_default
    if default and not is_default:
        match = Match(Row.ALTER_TABLE__ATTACH_PARTITION__DEFAULT).bind("default-partition", default)
    else:
        match = Match(Row.ALTER_TABLE__ATTACH_PARTITION)
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
        return [Match(Row.NO_RELATION_LOCK)]
    relation = ctx.catalog.rangevar(node.relation)
    if absent(ctx, relation, node.missing_ok):
        return [Match(Row.NO_RELATION_LOCK)]
    if rt == ObjectType.OBJECT_INDEX:
        return [Match(Row.RENAME__INDEX).bind("index", relation)]
    key = {
        ObjectType.OBJECT_TABLE: Row.RENAME__TABLE,
        ObjectType.OBJECT_FOREIGN_TABLE: Row.RENAME__TABLE,
        ObjectType.OBJECT_COLUMN: Row.RENAME__COLUMN,
        ObjectType.OBJECT_TABCONSTRAINT: Row.RENAME__CONSTRAINT,
        ObjectType.OBJECT_VIEW: Row.RENAME__VIEW,
        ObjectType.OBJECT_MATVIEW: Row.RENAME__VIEW,
        ObjectType.OBJECT_SEQUENCE: Row.RENAME__SEQUENCE,
        ObjectType.OBJECT_TRIGGER: Row.RENAME__TRIGGER,
        ObjectType.OBJECT_POLICY: Row.CREATE_POLICY,
        ObjectType.OBJECT_RULE: Row.CREATE_RULE,
    }.get(rt, Row.RENAME__TABLE)
    match = Match(key).bind("target", relation)
    if key in (Row.RENAME__COLUMN, Row.RENAME__TRIGGER) and node.relation.inh:
        match.bind("target-partitions", *all_partitions(ctx.catalog, relation))
    if key == Row.RENAME__CONSTRAINT:
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
        return [Match(Row.NO_RELATION_LOCK)]
    relation = ctx.catalog.rangevar(node.relation)
    match = Match(Row.ALTER_TABLE__SET_SCHEMA).bind("target", relation)
    return [match.bind("sequence", *ctx.catalog.sequences_of(relation))]
