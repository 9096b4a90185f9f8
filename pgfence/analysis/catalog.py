"""What pgfence knows of the schema a migration runs against.

The prediction needs facts the statement alone does not hold: the current type of a
column (does this type change rewrite?), the indexes of a table (a rewrite rebuilds
them, a query opens them), whether a validated CHECK (col IS NOT NULL) exists (SET NOT
NULL then skips its scan), which tables a foreign key references. The catalog starts
empty, or from a schema dump, or from a live server during a dry-run, and follows the
migration's own statements (`apply`) so later statements see earlier changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import (
    AlterPublicationAction,
    AlterTableType,
    ConstrType,
    NullTestType,
    ObjectType,
    TransactionStmtKind,
    VariableSetKind,
)

from pgfence.analysis.expressions import column_names, function_calls, nodes, sql_text
from pgfence.analysis.types import TypeRef
from pgfence.model import RelKind

DEFAULT_SEARCH_PATH = ("public",)


@dataclass
class Column:
    name: str
    type: TypeRef | None
    not_null: bool = False
    sequence: str | None = None  # the sequence its default draws from (serial, identity)
    identity: bool = False  # GENERATED … AS IDENTITY: ALTER TYPE changes its sequence too
    generated: str = ""  # "s" stored, "v" virtual (PG 18) generated column


@dataclass
class Index:
    name: str  # schema-qualified
    table: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    primary: bool = False
    new: bool = False  # created by the migration under analysis
    created_block: object = None  # the transaction that created it (see Catalog.created_in)
    # Columns its expressions or WHERE predicate use, besides the key `columns`.
    other_columns: tuple[str, ...] = ()
    # It has expressions or a predicate: ALTER COLUMN TYPE always rebuilds it (Postgres's
    # CheckIndexCompatible does not compare them).
    partial_or_expression: bool = False
    definition: str = ""  # CREATE INDEX …, when known (for recipes that build it again)

    def uses(self, column: str) -> bool:
        return column in self.columns or column in self.other_columns


@dataclass
class Constraint:
    name: str
    kind: str  # c check, f foreign key, u unique, p primary key, x exclusion, n not null
    columns: tuple[str, ...] = ()
    validated: bool = True
    # For CHECK (col IS NOT NULL): the column it proves not null.
    proves_not_null: str | None = None
    referenced_table: str | None = None
    # A foreign key's ON DELETE / ON UPDATE action, as pg_constraint spells it:
    # a no action, r restrict, c cascade, n set null, d set default.
    on_delete: str = "a"
    on_update: str = "a"
    # The referenced table's columns a foreign key names; None when not known (read from a
    # live schema): every key of the referenced table may be the one.
    referenced_columns: tuple[str, ...] | None = None

    def cascades(self, event: str) -> bool:
        """Does a DELETE (or UPDATE) of a referenced row write rows of this table?"""
        return (self.on_delete if event == "delete" else self.on_update) in ("c", "n", "d")


@dataclass
class Table:
    name: str  # schema-qualified
    kind: RelKind = RelKind.TABLE
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: list[str] = field(default_factory=list)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    parent: str | None = None
    partitions: list[str] = field(default_factory=list)
    partition_key: tuple[str, ...] = ()  # the columns of PARTITION BY, when plain columns
    default_partition: str | None = None
    toast: str | None = None
    sequences: list[str] = field(default_factory=list)  # owned by its columns
    new: bool = False  # created by the migration under analysis
    created_block: object = None  # the transaction that created it (see Catalog.created_in)
    rows_written: bool = False  # the migration wrote rows into it

    def referenced_tables(self) -> list[str]:
        return sorted({c.referenced_table for c in self.constraints.values() if c.referenced_table})

    def has_valid_check(self) -> bool:
        """Might a validated CHECK prove a partition bound (ATTACH PARTITION skips its scan)?"""
        return any(c.kind == "c" and c.validated for c in self.constraints.values())

    def not_null_proven(self, column: str) -> bool:
        return any(
            c.kind == "c" and c.validated and c.proves_not_null == column
            for c in self.constraints.values()
        )


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    sequences: set[str] = field(default_factory=set)
    views: dict[str, RelKind] = field(default_factory=dict)
    search_path: tuple[str, ...] = DEFAULT_SEARCH_PATH
    # True when the catalog came from a server or a dump: a relation missing from it
    # does not exist. False when it only knows what the migration itself created.
    complete: bool = False
    # The session TimeZone is UTC (timestamp -> timestamptz needs no rewrite), if known.
    utc_session: bool | None = None
    # The transaction the statement being applied runs in: relations it creates are
    # invisible to other sessions until that transaction commits.
    current_block: object = None
    # What a DROP … CASCADE takes along: object key -> relations depending on it. Keys are
    # a relation's name, "column:<table>.<column>", "function:<schema>.<name>",
    # "type:<schema>.<name>" (pg_depend's normal dependencies, between relations).
    dependents: dict[str, set[str]] = field(default_factory=dict)
    # Publication name -> the tables it publishes.
    publications: dict[str, set[str]] = field(default_factory=dict)
    # Domain "schema.name" -> (its base type, whether it has constraints).
    domains: dict[str, tuple[TypeRef | None, bool]] = field(default_factory=dict)
    # Owned sequence -> the first table (in `tables` order) with a column drawing from it;
    # built when first asked, kept up to date as a new table is added (it comes last), and
    # forgotten (`forget_sequence_owners`) wherever an owner can change: a table replaced,
    # renamed or dropped with a column drawing from a sequence, such a column added or
    # dropped, and by `settle` after a schema is loaded. (A column's `sequence` is set only
    # as it is made.) Scanning every column on each ask grew with the schema; so did
    # forgetting the map at every new table (a history of 500 tables rebuilt it 3,100
    # times).
    _sequence_owners: dict[str, Table] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    # ---- names ----------------------------------------------------------------------

    def qualify(self, name: str, schema: str | None = None) -> str:
        """Resolve a relation name the way the search_path would."""
        if schema:
            return f"{schema}.{name}"
        for candidate in self.search_path:
            qualified = f"{candidate}.{name}"
            if (
                qualified in self.tables
                or qualified in self.indexes
                or qualified in self.sequences
                or qualified in self.views
            ):
                return qualified
        return f"{self.search_path[0] if self.search_path else 'public'}.{name}"

    def rangevar(self, rv: ast.RangeVar) -> str:
        return self.qualify(rv.relname, rv.schemaname)

    def names(self, parts: tuple[ast.String, ...] | list[ast.String]) -> str:
        """A possibly qualified name given as a list of String nodes (DROP, COMMENT …)."""
        values = [p.sval for p in parts]
        if len(values) >= 2:
            return self.qualify(values[-1], values[-2])
        return self.qualify(values[-1])

    def kind_of(self, relation: str) -> RelKind:
        if relation in self.tables:
            return self.tables[relation].kind
        if relation in self.indexes:
            owner = self.tables.get(self.indexes[relation].table)
            if owner is not None and owner.kind is RelKind.PARTITIONED_TABLE:
                return RelKind.PARTITIONED_INDEX
            return RelKind.INDEX
        if relation in self.sequences:
            return RelKind.SEQUENCE
        kind = self.views.get(relation, RelKind.UNKNOWN)
        if kind is RelKind.UNKNOWN and self._owner_of_sequence(relation) is not None:
            # A serial or identity column's sequence (netbox: ALTER TABLE …_id_seq RENAME
            # TO …, once predicted to block the "table"'s readers and writers).
            return RelKind.SEQUENCE
        return kind

    def table(self, relation: str) -> Table | None:
        return self.tables.get(relation)

    def table_of_index(self, index: str) -> str | None:
        found = self.indexes.get(index)
        return found.table if found else None

    def indexes_of(self, table: str) -> list[str]:
        found = self.tables.get(table)
        return list(found.indexes) if found else []

    def is_new(self, relation: str) -> bool:
        if relation in self.tables:
            return self.tables[relation].new
        if relation in self.indexes:
            return self.indexes[relation].new
        owner = self._owner_of_sequence(relation)
        return owner is not None and owner.new

    def created_in(self, relation: str, block: object) -> bool:
        """Was `relation` created by the (still open) transaction `block`? (A sequence of
        a serial or identity column: with its table.)"""
        if block is None:
            return False
        found = (
            self.tables.get(relation)
            or self.indexes.get(relation)
            or self._owner_of_sequence(relation)
        )
        return found is not None and found.created_block == block

    def knows(self, relation: str) -> bool:
        """Is `relation` in the known schema (a table, index, sequence, owned sequence or
        view)?"""
        return self.kind_of(relation) is not RelKind.UNKNOWN or (
            self._owner_of_sequence(relation) is not None
        )

    def _owner_of_sequence(self, sequence: str) -> Table | None:
        # Owned sequences are named `<table>_<column>_seq`: only those are looked for.
        if not sequence.endswith("_seq") or sequence in self.tables or sequence in self.indexes:
            return None
        if self._sequence_owners is None:
            owners: dict[str, Table] = {}
            for table in self.tables.values():
                for column in table.columns.values():
                    if column.sequence:
                        owners.setdefault(column.sequence, table)
            self._sequence_owners = owners
        return self._sequence_owners.get(sequence)

    def settle(self, complete: bool = True) -> None:
        """Everything known so far exists before the migration (after loading a schema,
        or the files already deployed); `complete`: and nothing else does."""
        self.forget_sequence_owners()  # loading a schema fills tables outside `apply`
        for table in self.tables.values():
            table.new = False
            table.created_block = None
            table.rows_written = False
        for index in self.indexes.values():
            index.new = False
            index.created_block = None
        self.complete = self.complete or complete

    def column_type(self, table: str, column: str) -> TypeRef | None:
        found = self.tables.get(table)
        if found is None or column not in found.columns:
            return None
        return found.columns[column].type

    def sequences_of(self, table: str, columns: set[str] | None = None) -> list[str]:
        """Sequences that defaults of `table` draw from (for `columns` only, if given)."""
        found = self.tables.get(table)
        if found is None:
            return []
        return sorted(
            c.sequence
            for c in found.columns.values()
            if c.sequence and (columns is None or c.name in columns)
        )

    def domain(self, type_: TypeRef) -> tuple[TypeRef | None, bool] | None:
        """The base type and constrainedness of `type_`, if it is a known domain."""
        if type_.array:
            return None
        if type_.schema is not None:
            return self.domains.get(f"{type_.schema}.{type_.name}")
        for schema in self.search_path:
            found = self.domains.get(f"{schema}.{type_.name}")
            if found is not None:
                return found
        return None

    def add_dependent(self, key: str, relation: str) -> None:
        if relation != key:
            self.dependents.setdefault(key, set()).add(relation)

    def cascade_from(self, keys: list[str], exclude: set[str] | None = None) -> list[str]:
        """Relations a DROP … CASCADE of the objects `keys` drops or changes, transitively
        (a view on a dropped view is dropped too), leaving out `exclude`."""
        done = set(exclude or ())
        found: list[str] = []
        stack = list(keys)
        seen_keys: set[str] = set()
        while stack:
            key = stack.pop()
            if key in seen_keys:
                continue
            seen_keys.add(key)
            for relation in sorted(self.dependents.get(key, ())):
                if relation in done:
                    continue
                done.add(relation)
                found.append(relation)
                # Only views go on to drop what depends on them; a table loses a column,
                # a default, a trigger or a constraint, and stays.
                if relation in self.views or self.kind_of(relation) is RelKind.MATERIALIZED_VIEW:
                    stack.extend(self.relation_keys(relation))
        return sorted(found)

    def relation_keys(self, relation: str) -> list[str]:
        """The dependency keys of a relation and of its columns."""
        prefix = f"column:{relation}."
        return [relation, *(k for k in self.dependents if k.startswith(prefix))]

    def cascading_referencers(self, table: str, event: str) -> list[str]:
        """Tables whose rows a DELETE (or key UPDATE) of `table` writes through ON DELETE
        / ON UPDATE CASCADE, SET NULL or SET DEFAULT, transitively for cascades."""
        found: list[str] = []
        stack = [table]
        while stack:
            current = stack.pop()
            for other in self.tables.values():
                for c in other.constraints.values():
                    if (
                        c.kind == "f"
                        and c.referenced_table == current
                        and c.cascades(event)
                        and other.name not in found
                        and other.name != table
                    ):
                        found.append(other.name)
                        # SET NULL / SET DEFAULT update rows: their own keys do not
                        # change unless they are the key; CASCADE deletes go on.
                        if (c.on_delete if event == "delete" else c.on_update) == "c":
                            stack.append(other.name)
        return sorted(found)

    def referencing_tables(self, table: str) -> list[str]:
        """Tables with a foreign key that references `table`."""
        return sorted(
            t.name
            for t in self.tables.values()
            if t.name != table and any(c.referenced_table == table for c in t.constraints.values())
        )

    # ---- following the migration --------------------------------------------------------

    def apply(self, node: object, sql: Callable[[object], str] = sql_text) -> None:
        """Update the catalog with the effect of one parsed statement; `sql` prints its
        trees back to SQL (the statement's printer: what its rules printed, reused)."""
        handler = _APPLY.get(type(node))
        if handler is None:
            return
        if isinstance(node, ast.IndexStmt):
            _apply_index(self, node, sql)  # the only handler that prints
        else:
            handler(self, node)

    def forget_sequence_owners(self) -> None:
        """Tables or their columns changed: the owners of sequences are found again."""
        self._sequence_owners = None

    def add_table(self, table: Table) -> None:
        table.created_block = self.current_block
        replaced = self.tables.get(table.name)
        self.tables[table.name] = table
        self.views.pop(table.name, None)
        owners = self._sequence_owners
        if replaced is not None:
            self.forget_sequence_owners()  # in the place of the old one in `tables`
        elif owners is not None:
            # Last in `tables`: it owns only the sequences no earlier table draws from.
            for column in table.columns.values():
                if column.sequence:
                    owners.setdefault(column.sequence, table)

    def add_index(self, index: Index) -> None:
        index.created_block = self.current_block
        self.indexes[index.name] = index
        owner = self.tables.get(index.table)
        if owner is not None and index.name not in owner.indexes:
            owner.indexes.append(index.name)

    def drop_relation(self, name: str) -> None:
        table = self.tables.pop(name, None)
        if table is not None:
            if any(column.sequence for column in table.columns.values()):
                self.forget_sequence_owners()
            for index_name in table.indexes:
                self.indexes.pop(index_name, None)
            if table.parent and table.parent in self.tables:
                parent = self.tables[table.parent]
                parent.partitions = [p for p in parent.partitions if p != name]
                if parent.default_partition == name:
                    parent.default_partition = None
        dropped = self.indexes.pop(name, None)
        if dropped is not None and dropped.table in self.tables:
            owner = self.tables[dropped.table]
            owner.indexes = [i for i in owner.indexes if i != name]
        self.sequences.discard(name)
        self.views.pop(name, None)


# ---- reading parse trees ----------------------------------------------------------------


def type_ref(type_name: ast.TypeName) -> TypeRef:
    names = [n.sval for n in type_name.names]
    schema = names[-2] if len(names) > 1 else None
    modifiers: list[int] = []
    for mod in type_name.typmods or ():
        value = getattr(getattr(mod, "val", None), "ival", None)
        if isinstance(value, int):
            modifiers.append(value)
    return TypeRef.of(names[-1], tuple(modifiers), bool(type_name.arrayBounds), schema)


_SERIAL_TYPES = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}
_NOT_NULL_KINDS = (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_IDENTITY)


def column_from_def(col: ast.ColumnDef, table: str | None = None) -> Column:
    constraints = col.constraints or ()
    not_null = bool(col.is_not_null) or any(c.contype in _NOT_NULL_KINDS for c in constraints)
    type_name = col.typeName.names[-1].sval.lower() if col.typeName else ""
    identity = any(c.contype == ConstrType.CONSTR_IDENTITY for c in constraints)
    sequence = None
    if table is not None and (type_name in _SERIAL_TYPES or identity):
        # Postgres names it <table>_<column>_seq (ChooseRelationName).
        schema, short = table.split(".", 1)
        sequence = f"{schema}.{short}_{col.colname}_seq"
        not_null = True
    type_ = type_ref(col.typeName) if col.typeName else None
    generated = next(
        (c.generated_kind for c in constraints if c.contype == ConstrType.CONSTR_GENERATED), ""
    )
    return Column(
        col.colname, type_, not_null, sequence, identity, "v" if generated == "v" else generated
    )


def proves_not_null(expr: object) -> str | None:
    """The column a CHECK expression `col IS NOT NULL` proves not null, if that is all it is."""
    if (
        isinstance(expr, ast.NullTest)
        and expr.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expr.arg, ast.ColumnRef)
    ):
        field_ = expr.arg.fields[-1]
        return field_.sval if isinstance(field_, ast.String) else None
    return None


def _constraint_columns(con: ast.Constraint) -> tuple[str, ...]:
    keys = con.keys or con.fk_attrs or ()
    return tuple(k.sval for k in keys)


def _apply_create(catalog: Catalog, node: ast.CreateStmt) -> None:
    name = catalog.rangevar(node.relation)
    if name in catalog.tables and node.if_not_exists:
        return
    kind = RelKind.PARTITIONED_TABLE if node.partspec else RelKind.TABLE
    table = Table(name=name, kind=kind, new=True)
    if node.partspec is not None:
        table.partition_key = tuple(
            str(p.name)
            for p in node.partspec.partParams or ()
            if isinstance(p, ast.PartitionElem) and p.name
        )
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            table.columns[element.colname] = column_from_def(element, name)
            _column_dependencies(catalog, name, element)
            for con in element.constraints or ():
                _add_constraint(catalog, table, con, (element.colname,))
        elif isinstance(element, ast.Constraint):
            _add_constraint(catalog, table, element, _constraint_columns(element))
    if node.partbound is not None and node.inhRelations:
        parent = catalog.rangevar(node.inhRelations[0])
        table.parent = parent
        if parent in catalog.tables:
            catalog.tables[parent].partitions.append(name)
            if node.partbound.is_default:
                catalog.tables[parent].default_partition = name
    catalog.add_table(table)
    for index in list(catalog.indexes.values()):
        if index.table == name and index.name not in table.indexes:
            table.indexes.append(index.name)


def _add_constraint(
    catalog: Catalog, table: Table, con: ast.Constraint, columns: tuple[str, ...]
) -> None:
    short = table.name.split(".", 1)[1]
    schema = table.name.split(".", 1)[0]
    if con.contype == ConstrType.CONSTR_CHECK:
        name = con.conname or f"{short}_{columns[0] if columns else ''}_check".replace("__", "_")
        table.constraints[name] = Constraint(
            name, "c", columns, not con.skip_validation, proves_not_null(con.raw_expr)
        )
        _uses(catalog, con.raw_expr, table.name)
    elif con.contype == ConstrType.CONSTR_FOREIGN:
        name = con.conname or f"{short}_{'_'.join(columns)}_fkey"
        ref = catalog.rangevar(con.pktable) if con.pktable else None
        table.constraints[name] = Constraint(
            name,
            "f",
            columns,
            not con.skip_validation,
            None,
            ref,
            on_delete=con.fk_del_action or "a",
            on_update=con.fk_upd_action or "a",
            referenced_columns=_referenced_columns(catalog, table, ref, con),
        )
        if ref is not None:
            _key_dependencies(catalog, table.name, ref, con)
    elif con.contype in (
        ConstrType.CONSTR_PRIMARY,
        ConstrType.CONSTR_UNIQUE,
        ConstrType.CONSTR_EXCLUSION,
    ):
        primary = con.contype == ConstrType.CONSTR_PRIMARY
        suffix = {ConstrType.CONSTR_PRIMARY: "pkey", ConstrType.CONSTR_UNIQUE: "key"}.get(
            con.contype, "excl"
        )
        if primary:
            name = con.conname or f"{short}_pkey"
        else:
            name = con.conname or f"{short}_{'_'.join(columns)}_{suffix}"
        index_name = con.indexname or name
        kind = {ConstrType.CONSTR_PRIMARY: "p", ConstrType.CONSTR_UNIQUE: "u"}.get(con.contype, "x")
        table.constraints[name] = Constraint(name, kind, columns)
        catalog.add_index(
            Index(
                f"{schema}.{index_name}",
                table.name,
                columns,
                unique=kind != "x",
                primary=primary,
                new=True,
            )
        )
        if index_name and f"{schema}.{index_name}" not in table.indexes:
            table.indexes.append(f"{schema}.{index_name}")
        if primary:
            for column in columns:
                if column in table.columns:
                    table.columns[column].not_null = True
    elif con.contype == ConstrType.CONSTR_NOTNULL and con.keys:
        for key in con.keys:
            if key.sval in table.columns and not con.skip_validation:
                table.columns[key.sval].not_null = True
        if con.conname:
            # PG 18: NOT NULL … NOT VALID, validated later (VALIDATE sets attnotnull).
            table.constraints[con.conname] = Constraint(
                con.conname, "n", columns, not con.skip_validation, columns[0] if columns else None
            )


def _referenced_columns(
    catalog: Catalog, table: Table, ref: str | None, con: ast.Constraint
) -> tuple[str, ...] | None:
    """The columns a foreign key references: those it names, or the referenced table's
    primary key (None when that is not known)."""
    named = tuple(str(a.sval) for a in con.pk_attrs or () if isinstance(a, ast.String))
    if named:
        return named
    referenced = table if ref == table.name else catalog.tables.get(ref or "")
    if referenced is None:
        return None
    keys = [c.columns for c in referenced.constraints.values() if c.kind == "p"]
    return keys[0] if keys else None


def _apply_index(
    catalog: Catalog, node: ast.IndexStmt, sql: Callable[[object], str] = sql_text
) -> None:
    table = catalog.rangevar(node.relation)
    schema = table.split(".", 1)[0]
    columns = tuple(
        p.name for p in node.indexParams or () if isinstance(p, ast.IndexElem) and p.name
    )
    if node.idxname:
        name = f"{schema}.{node.idxname}"
    else:
        short = table.split(".", 1)[1]
        name = f"{schema}.{short}_{'_'.join(columns) or 'expr'}_idx"
    if name in catalog.indexes and node.if_not_exists:
        return
    expressions = [
        p.expr for p in node.indexParams or () if isinstance(p, ast.IndexElem) and p.expr
    ]
    used = [*expressions, node.whereClause] if node.whereClause is not None else expressions
    other = tuple(dict.fromkeys(column_names(used)))
    catalog.add_index(
        Index(
            name,
            table,
            columns,
            bool(node.unique),
            bool(node.primary),
            new=True,
            other_columns=tuple(c for c in other if c not in columns),
            partial_or_expression=bool(expressions) or node.whereClause is not None,
            definition=sql(node),
        )
    )


def _apply_alter(catalog: Catalog, node: ast.AlterTableStmt) -> None:
    if node.objtype != ObjectType.OBJECT_TABLE:
        return
    table = catalog.tables.get(catalog.rangevar(node.relation))
    if table is None:
        return
    for cmd in node.cmds or ():
        _apply_alter_cmd(catalog, table, cmd)


def _apply_alter_cmd(catalog: Catalog, table: Table, cmd: ast.AlterTableCmd) -> None:
    sub = cmd.subtype
    if sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        replaced = table.columns.get(cmd.def_.colname)
        added = table.columns[cmd.def_.colname] = column_from_def(cmd.def_, table.name)
        if added.sequence or (replaced is not None and replaced.sequence):
            catalog.forget_sequence_owners()
        _column_dependencies(catalog, table.name, cmd.def_)
        for con in cmd.def_.constraints or ():
            _add_constraint(catalog, table, con, (cmd.def_.colname,))
    elif sub == AlterTableType.AT_ColumnDefault and cmd.def_ is not None:
        _uses(catalog, cmd.def_, table.name)
    elif sub == AlterTableType.AT_DropColumn and cmd.name:
        dropped_column = table.columns.pop(cmd.name, None)
        if dropped_column is not None and dropped_column.sequence:
            catalog.forget_sequence_owners()
        # Postgres drops the indexes that use the column with it.
        for index in list(table.indexes):
            found = catalog.indexes.get(index)
            if found is not None and found.uses(cmd.name):
                catalog.drop_relation(index)
    elif (
        sub == AlterTableType.AT_AlterColumnType
        and cmd.name
        and isinstance(cmd.def_, ast.ColumnDef)
    ):
        column = table.columns.get(cmd.name)
        if column is not None and cmd.def_.typeName is not None:
            column.type = type_ref(cmd.def_.typeName)
    elif sub == AlterTableType.AT_SetNotNull and cmd.name in table.columns:
        table.columns[cmd.name].not_null = True
    elif sub == AlterTableType.AT_DropNotNull and cmd.name in table.columns:
        table.columns[cmd.name].not_null = False
    elif sub == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        _add_constraint(catalog, table, cmd.def_, _constraint_columns(cmd.def_))
    elif sub == AlterTableType.AT_ValidateConstraint and cmd.name in table.constraints:
        validated = table.constraints[cmd.name]
        validated.validated = True
        if validated.kind == "n" and validated.proves_not_null in table.columns:
            table.columns[validated.proves_not_null].not_null = True
    elif sub == AlterTableType.AT_DropConstraint and cmd.name:
        dropped = table.constraints.pop(cmd.name, None)
        if dropped is not None and dropped.kind in ("p", "u", "x"):
            catalog.drop_relation(f"{table.name.split('.', 1)[0]}.{cmd.name}")
    elif sub == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        child = catalog.rangevar(cmd.def_.name)
        table.partitions.append(child)
        if child in catalog.tables:
            catalog.tables[child].parent = table.name
        if cmd.def_.bound is not None and cmd.def_.bound.is_default:
            table.default_partition = child
    elif sub == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        child = catalog.rangevar(cmd.def_.name)
        table.partitions = [p for p in table.partitions if p != child]
        if table.default_partition == child:
            table.default_partition = None


def _apply_drop(catalog: Catalog, node: ast.DropStmt) -> None:
    relation_kinds = {
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_INDEX,
        ObjectType.OBJECT_SEQUENCE,
        ObjectType.OBJECT_VIEW,
        ObjectType.OBJECT_MATVIEW,
        ObjectType.OBJECT_FOREIGN_TABLE,
    }
    if node.removeType not in relation_kinds:
        return
    for obj in node.objects or ():
        if isinstance(obj, (list, tuple)):
            catalog.drop_relation(catalog.names(obj))


def _apply_rename(catalog: Catalog, node: ast.RenameStmt) -> None:
    if node.renameType == ObjectType.OBJECT_TABLE and node.relation is not None:
        old = catalog.rangevar(node.relation)
        table = catalog.tables.pop(old, None)
        if table is not None:
            table.name = new = f"{old.split('.', 1)[0]}.{node.newname}"
            catalog.tables[new] = table
            catalog.forget_sequence_owners()  # `tables` in another order
            for index_name in table.indexes:
                if index_name in catalog.indexes:
                    catalog.indexes[index_name].table = new
            # Foreign keys and partition links of other tables follow the new name.
            for other in catalog.tables.values():
                for con in other.constraints.values():
                    if con.referenced_table == old:
                        con.referenced_table = new
                other.partitions = [new if p == old else p for p in other.partitions]
                if other.parent == old:
                    other.parent = new
                if other.default_partition == old:
                    other.default_partition = new
    elif node.renameType == ObjectType.OBJECT_COLUMN and node.relation is not None:
        table = catalog.tables.get(catalog.rangevar(node.relation))
        if table is not None and node.subname in table.columns:
            old_column, new_column = str(node.subname), str(node.newname)
            column = table.columns.pop(old_column)
            column.name = new_column
            table.columns[new_column] = column

            def follow(columns: tuple[str, ...]) -> tuple[str, ...]:
                return tuple(new_column if c == old_column else c for c in columns)

            # Constraints, indexes and the partition key name columns: they follow too.
            for con in table.constraints.values():
                con.columns = follow(con.columns)
                if con.proves_not_null == old_column:
                    con.proves_not_null = new_column
            for index_name in table.indexes:
                if index_name in catalog.indexes:
                    index = catalog.indexes[index_name]
                    index.columns = follow(index.columns)
            table.partition_key = follow(table.partition_key)
            for other in catalog.tables.values():
                for con in other.constraints.values():
                    if con.referenced_table == table.name and con.referenced_columns:
                        con.referenced_columns = follow(con.referenced_columns)
    elif node.renameType == ObjectType.OBJECT_INDEX and node.relation is not None:
        _rename_index(catalog, catalog.rangevar(node.relation), str(node.newname))
    elif node.renameType == ObjectType.OBJECT_TABCONSTRAINT and node.relation is not None:
        table = catalog.tables.get(catalog.rangevar(node.relation))
        if table is None or node.subname not in table.constraints:
            return
        con = table.constraints.pop(str(node.subname))
        con.name = str(node.newname)
        table.constraints[con.name] = con
        if con.kind in ("p", "u", "x"):
            # The constraint's index takes the new name with it (RenameConstraintById).
            schema = table.name.split(".", 1)[0]
            _rename_index(catalog, f"{schema}.{node.subname}", con.name)


def _rename_index(catalog: Catalog, old: str, new_name: str) -> None:
    renamed = catalog.indexes.pop(old, None)
    if renamed is not None:
        renamed.name = f"{old.split('.', 1)[0]}.{new_name}"
        catalog.indexes[renamed.name] = renamed
        owner = catalog.tables.get(renamed.table)
        if owner is not None:
            owner.indexes = [renamed.name if i == old else i for i in owner.indexes]


UTC_NAMES = frozenset({"UTC", "ETC/UTC", "GMT", "UCT", "ZULU", "ETC/GMT", "ETC/UCT", "ETC/ZULU"})


def _apply_set(catalog: Catalog, node: ast.VariableSetStmt) -> None:
    if (node.name or "").lower() == "timezone":
        # A timestamp <-> timestamptz change rewrites unless the session is in UTC.
        # SET LOCAL lasts to the end of the transaction; taken as lasting (rarely matters).
        if node.kind == VariableSetKind.VAR_SET_VALUE and node.args:
            value = getattr(node.args[0], "val", None)
            text = getattr(value, "sval", None)
            catalog.utc_session = str(text).upper() in UTC_NAMES if text is not None else None
        else:
            catalog.utc_session = None
        return
    if (node.name or "").lower() != "search_path":
        return
    if node.kind == VariableSetKind.VAR_SET_VALUE:
        path: list[str] = []
        for arg in node.args or ():
            value = getattr(arg, "val", None)
            text = getattr(value, "sval", None)
            if isinstance(text, str):
                path.extend(p.strip().strip('"') for p in text.split(",") if p.strip())
        path = [p for p in path if p not in ("$user", "pg_catalog", "pg_temp")]
        catalog.search_path = tuple(path) or DEFAULT_SEARCH_PATH
    elif node.kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_SET_DEFAULT):
        catalog.search_path = DEFAULT_SEARCH_PATH


def _apply_view(catalog: Catalog, node: ast.ViewStmt) -> None:
    view = catalog.rangevar(node.view)
    catalog.views[view] = RelKind.VIEW
    _reads(catalog, node.query, view)


def _reads(catalog: Catalog, query: object, dependent: str) -> None:
    """A view (or materialized view) depends on every relation its query reads: DROP …
    CASCADE of one of them drops it (CTE names are taken as relations: harmless)."""
    read = [catalog.rangevar(f) for f in nodes(query) if isinstance(f, ast.RangeVar) and f.relname]
    named: set[str] = set()
    star = False
    for found in nodes(query):
        if isinstance(found, ast.ColumnRef):
            last = found.fields[-1] if found.fields else None
            if isinstance(last, ast.String):
                named.add(last.sval)
            elif isinstance(last, ast.A_Star):
                star = True
    for relation in read:
        catalog.add_dependent(relation, dependent)
        # Its columns too, by name (DROP COLUMN … CASCADE drops the view); a view of `*`
        # uses every column. Names are not told apart by table: a little too many.
        table = catalog.tables.get(relation)
        columns = set(table.columns) if table is not None and star else named
        for column in sorted(columns):
            catalog.add_dependent(f"column:{relation}.{column}", dependent)


def _uses(catalog: Catalog, expr: object, dependent: str) -> None:
    """A default or CHECK expression depends on the functions it calls and the sequences
    its nextval() draws from (what DROP FUNCTION / SEQUENCE … CASCADE removes)."""
    for name, args in function_calls(expr):
        if name in ("nextval", "setval", "currval") and args and isinstance(args[0], str):
            parts = args[0].split(".")
            catalog.add_dependent(
                catalog.qualify(parts[-1], parts[-2] if len(parts) > 1 else None), dependent
            )
        else:
            catalog.add_dependent(f"function:{catalog.search_path[0]}.{name}", dependent)


def _column_dependencies(catalog: Catalog, table: str, col: ast.ColumnDef) -> None:
    if col.typeName is not None:
        names = [n.sval for n in col.typeName.names]
        schema = names[-2] if len(names) > 1 else catalog.search_path[0]
        if schema != "pg_catalog":
            catalog.add_dependent(f"type:{schema}.{names[-1].lower()}", table)
    for con in col.constraints or ():
        if isinstance(con, ast.Constraint) and con.contype in (
            ConstrType.CONSTR_DEFAULT,
            ConstrType.CONSTR_CHECK,
        ):
            _uses(catalog, con.raw_expr, table)


def _key_dependencies(catalog: Catalog, table: str, ref: str, con: ast.Constraint) -> None:
    """A foreign key depends on the referenced key's columns and its unique index: DROP
    COLUMN / CONSTRAINT … CASCADE of them drops the foreign key (and locks this table)."""
    referenced = catalog.tables.get(ref)
    columns = tuple(k.sval for k in con.pk_attrs or ())
    if referenced is None:
        return
    for key in referenced.constraints.values():
        if key.kind == "p" if not columns else key.kind in ("p", "u") and key.columns == columns:
            catalog.add_dependent(f"{ref.split('.', 1)[0]}.{key.name}", table)
            columns = columns or key.columns
            break
    for column in columns:
        catalog.add_dependent(f"column:{ref}.{column}", table)


def _apply_publication(
    catalog: Catalog, node: ast.CreatePublicationStmt | ast.AlterPublicationStmt
) -> None:
    tables = {
        catalog.rangevar(obj.pubtable.relation)
        for obj in node.pubobjects or ()
        if isinstance(obj, ast.PublicationObjSpec) and obj.pubtable is not None
    }
    current = catalog.publications.setdefault(node.pubname, set())
    action = getattr(node, "action", None)
    if action == AlterPublicationAction.AP_DropObjects:
        current -= tables
    elif action == AlterPublicationAction.AP_SetObjects:
        catalog.publications[node.pubname] = tables
    else:
        current |= tables


def _apply_trigger(catalog: Catalog, node: ast.CreateTrigStmt) -> None:
    table = catalog.rangevar(node.relation)
    names = [n.sval for n in node.funcname or ()]
    if names:
        schema = names[-2] if len(names) > 1 else catalog.search_path[0]
        catalog.add_dependent(f"function:{schema}.{names[-1].lower()}", table)


def _apply_create_as(catalog: Catalog, node: ast.CreateTableAsStmt) -> None:
    name = catalog.rangevar(node.into.rel)
    kind = RelKind.MATERIALIZED_VIEW if node.objtype == ObjectType.OBJECT_MATVIEW else RelKind.TABLE
    catalog.add_table(Table(name=name, kind=kind, new=True, rows_written=True))
    if kind is RelKind.MATERIALIZED_VIEW:
        _reads(catalog, node.query, name)


def _apply_sequence(catalog: Catalog, node: ast.CreateSeqStmt) -> None:
    catalog.sequences.add(catalog.rangevar(node.sequence))


def _mark_written(catalog: Catalog, node: ast.InsertStmt | ast.CopyStmt) -> None:
    relation = node.relation
    if relation is not None:
        table = catalog.tables.get(catalog.rangevar(relation))
        if table is not None:
            table.rows_written = True


_ENDS_TRANSACTION = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


def _apply_transaction(catalog: Catalog, node: ast.TransactionStmt) -> None:
    """A COMMIT (or ROLLBACK) ends the transaction that created relations: later
    statements of the same block (a COMMIT inside a migration tool's transaction) run in
    another one, which sees them as everyone does."""
    if node.kind not in _ENDS_TRANSACTION or catalog.current_block is None:
        return
    for found in (*catalog.tables.values(), *catalog.indexes.values()):
        if found.created_block == catalog.current_block:
            found.created_block = None


_APPLY = {
    ast.TransactionStmt: _apply_transaction,
    ast.CreateStmt: _apply_create,
    ast.IndexStmt: _apply_index,
    ast.AlterTableStmt: _apply_alter,
    ast.DropStmt: _apply_drop,
    ast.RenameStmt: _apply_rename,
    ast.VariableSetStmt: _apply_set,
    ast.ViewStmt: _apply_view,
    ast.CreateTrigStmt: _apply_trigger,
    ast.CreatePublicationStmt: _apply_publication,
    ast.AlterPublicationStmt: _apply_publication,
    ast.CreateTableAsStmt: _apply_create_as,
    ast.CreateSeqStmt: _apply_sequence,
    ast.InsertStmt: _mark_written,
    ast.CopyStmt: _mark_written,
}
