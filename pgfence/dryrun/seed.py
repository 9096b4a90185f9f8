"""Fill the replayed tables of a throwaway database with synthetic rows (--seed).

Each table gets a number of rows (the same for all with `--seed-rows N`, or a fraction of
the recorded production size with `--seed-scale F`), written with COPY. Values come from
synthetic.py: a deterministic function of the row number per column, so that

- NOT NULL columns always get a value (a column of a type pgfence cannot make up is left
  to its DEFAULT, or the table is reported);
- UNIQUE keys (primary keys, unique constraints and indexes, partial or on expressions)
  get distinct values: one column of the key whose type holds enough values is enough;
  keys made only of small types and foreign keys combine their values like the digits
  of a number, and a table is capped at as many rows as the key can tell apart;
- a foreign key names a referenced row by its number and recomputes its key, so no row
  is read back; tables are filled parents first;
- CHECK constraints are modelled where synthetic.py can read them; Postgres checks every
  row anyway, and a table whose rows it refuses is reported with its message.

Rows are written with `session_replication_role = replica`, which keeps user triggers and
the per-row foreign-key triggers from firing; every foreign key is then checked in one
query per constraint, and a table with a row that breaks one is emptied and reported.
Nothing here runs anywhere but on a server pgfence started.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import errors, sql

from pgfence.dryrun import queries
from pgfence.dryrun.probe import connect
from pgfence.dryrun.servers.existing import first_line
from pgfence.dryrun.stats import Stats
from pgfence.dryrun.synthetic import (
    NULL,
    CheckModel,
    ColumnType,
    Encoder,
    constrained,
    encoder_for,
    orderable,
    permute,
    read_check,
)
from pgfence.model import SeededTable, SeedSummary

DEFAULT_ROWS = 10_000  # --seed without a size
DEFAULT_SCALE = 0.01  # --seed with stats but without a size
DEFAULT_MAX_ROWS = 2_000_000  # per table, unless --seed-max-rows says otherwise
CHUNK_ROWS = 20_000  # rows per COPY write
KEY_SAMPLE = 100_000  # keys read from a table that already had rows, for foreign keys
_TIME_SHIFT = {"timestamp": 3600, "timestamptz": 3600}  # CHECK (a < b): b one hour later

Progress = Callable[[str], None]
# Keys read from tables that already had rows: (table, its referenced columns) -> keys.
KeySamples = dict[tuple[str, tuple[str, ...]], list[tuple[str, ...]]]


@dataclass(frozen=True)
class SeedRequest:
    """How many rows each table gets."""

    rows: int | None = None  # --seed-rows: the same number for every table
    scale: float | None = None  # --seed-scale: a fraction of the recorded production size
    max_rows: int = DEFAULT_MAX_ROWS
    stats: Stats | None = None
    fraction: float = 1.0  # a smaller size measured for the estimates
    # Tables a statement of the migration refused the synthetic rows of (scaling.py): left
    # empty, with why, so that the rest of the file runs.
    left_empty: tuple[tuple[str, str], ...] = ()

    def at(self, fraction: float) -> SeedRequest:
        return replace(self, fraction=fraction)

    def target(self, relation: str) -> tuple[int | None, str | None]:
        """Rows to write into `relation`, or None and the reason it stays empty."""
        refused = dict(self.left_empty).get(relation)
        if refused is not None:
            return None, refused
        production = self.production_rows(relation)
        if self.rows is not None:
            wanted: float = self.rows
        elif self.scale is not None:
            if self.stats is None:
                return None, "no recorded size (--seed-scale needs --stats or --stats-from)"
            if production is None:
                entry = self.stats.table(relation)
                return None, (
                    "not in the stats" if entry is None else "its row count was never recorded"
                )
            if production == 0:
                return None, "empty in production"
            wanted = max(1.0, production * self.scale)
        else:
            wanted = DEFAULT_ROWS
        capped = min(round(wanted), self.max_rows)
        return max(1, round(capped * self.fraction)), None

    def production_rows(self, relation: str) -> int | None:
        entry = self.stats.table(relation) if self.stats else None
        return entry.rows if entry else None


# ---- what the catalog says ------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    type: ColumnType
    not_null: bool
    generated: bool
    sequence: bool  # identity, or a DEFAULT nextval(): production values count up
    has_default: bool
    domain_checks: list[str]


@dataclass
class _ForeignKey:
    name: str
    columns: list[str]
    parent: str
    parent_columns: list[str]


@dataclass
class _Table:
    relation: str
    partitioned: bool
    has_exclusion: bool
    columns: dict[str, _Column] = field(default_factory=dict)
    unique_keys: list[tuple[str, list[str]]] = field(default_factory=list)
    checks: CheckModel = field(default_factory=CheckModel)
    foreign_keys: list[_ForeignKey] = field(default_factory=list)


def _load_schema(conn: psycopg.Connection) -> dict[str, _Table]:
    tables = {
        name: _Table(name, relkind == "p", bool(exclusion))
        for name, relkind, exclusion in conn.execute(queries.SEED_TABLES, ())
    }
    for row in conn.execute(queries.SEED_COLUMNS, ()):
        (relation, name, label, base, typtype, typmod, element, element_typtype, labels,
         not_null, generated, identity, default, domain_checks) = row  # fmt: skip
        if relation not in tables:
            continue
        ctype = ColumnType(label, base, typtype, typmod, element, element_typtype, tuple(labels))
        tables[relation].columns[name] = _Column(
            name,
            ctype,
            bool(not_null),
            bool(generated),
            bool(identity) or (default or "").startswith("nextval("),
            default is not None or bool(identity),
            list(domain_checks or ()),
        )
    for relation, index, columns in conn.execute(queries.SEED_UNIQUE_KEYS, ()):
        if relation in tables:
            tables[relation].unique_keys.append((index, sorted(columns)))
    for relation, name, definition in conn.execute(queries.SEED_CHECKS, ()):
        if relation in tables:
            read_check(tables[relation].checks, name, definition)
    for relation, name, columns, parent, parent_columns in conn.execute(
        queries.SEED_FOREIGN_KEYS, ()
    ):
        if relation in tables:
            tables[relation].foreign_keys.append(
                _ForeignKey(name, list(columns), parent, list(parent_columns))
            )
    for table in tables.values():
        for column in table.columns.values():
            for n, check in enumerate(column.domain_checks):
                read_check(table.checks, f"{column.type.label} check {n + 1}", check, column.name)
    return tables


# ---- the plan of one table --------------------------------------------------------------------


@dataclass
class _Digits:
    """Rows -> ordinals: (row // stride) % capacity, then a bijection of [0, capacity)."""

    capacity: int
    stride: int = 1
    sequential: bool = False  # identity and serial columns: 0, 1, 2, … in row order

    def of(self, rows: Sequence[int]) -> list[int]:
        if self.sequential:
            return list(rows)
        if self.stride == 1:
            return permute(rows, self.capacity)
        return permute([(i // self.stride) % self.capacity for i in rows], self.capacity)


@dataclass
class _Reference:
    """A foreign key's way to a referenced row: its number in the parent, or a read key."""

    constraint: str
    parent: str
    digits: _Digits
    sample: list[tuple[str, ...]] | None = None  # keys of a parent that already had rows


@dataclass
class _ColumnPlan:
    name: str
    source: str  # own, fk, tie, null
    encoder: Encoder | None = None
    digits: _Digits | None = None
    reference: _Reference | None = None
    parent_column: str | None = None
    sample_index: int = 0
    tie: str | None = None  # `tie`: the column whose ordinals it shares (CHECK (a < b))
    in_unique_key: bool = False


@dataclass
class _TablePlan:
    relation: str
    rows: int
    columns: dict[str, _ColumnPlan]
    note: str | None = None

    def values(self, column: str, rows: Sequence[int], plans: dict[str, _TablePlan]) -> list[str]:
        plan = self.columns[column]
        if plan.source == "null":
            return [NULL] * len(rows)
        if plan.source == "fk":
            assert plan.reference is not None and plan.parent_column is not None
            parent_rows = plan.reference.digits.of(rows)
            if plan.reference.sample is not None:
                sample, k = plan.reference.sample, plan.sample_index
                return [sample[j][k] for j in parent_rows]
            parent = plans[plan.reference.parent]
            return parent.values(plan.parent_column, parent_rows, plans)
        assert plan.encoder is not None
        source = self.columns[plan.tie] if plan.tie else plan
        assert source.digits is not None
        return plan.encoder.encode(source.digits.of(rows))


class Unfillable(Exception):
    """A table pgfence cannot fill; the message says why."""


def _plan_table(
    table: _Table,
    target: int,
    plans: dict[str, _TablePlan],
    prefilled: KeySamples,
) -> _TablePlan:
    if table.has_exclusion:
        raise Unfillable("it has an exclusion constraint: pgfence does not model those")
    columns: dict[str, _ColumnPlan] = {}
    for fk in table.foreign_keys:
        _plan_reference(table, fk, target, plans, prefilled, columns)
    for column in table.columns.values():
        if column.name not in columns:
            planned = _plan_column(table, column, target)
            if planned is not None:
                columns[column.name] = planned
    _plan_orderings(table, columns)
    rows, note = _plan_unique_keys(table, columns, target)
    for plan in columns.values():
        reference = plan.reference
        if reference is not None and reference.parent == table.relation:
            # A row refers to a row of its own table: one of the rows actually written.
            reference.digits.capacity = min(reference.digits.capacity, rows)
    return _TablePlan(table.relation, rows, columns, note)


def _plan_reference(
    table: _Table,
    fk: _ForeignKey,
    target: int,
    plans: dict[str, _TablePlan],
    prefilled: KeySamples,
    columns: dict[str, _ColumnPlan],
) -> None:
    if any(c in columns for c in fk.columns):
        return  # a column under two foreign keys follows the first
    nullable = all(not table.columns[c].not_null for c in fk.columns)
    if fk.parent == table.relation:
        reference = _Reference(fk.name, fk.parent, _Digits(max(target, 1)))
    elif fk.parent in plans:
        reference = _Reference(fk.name, fk.parent, _Digits(plans[fk.parent].rows))
    elif keys := prefilled.get((fk.parent, tuple(fk.parent_columns))):
        reference = _Reference(fk.name, fk.parent, _Digits(len(keys)), keys)
    elif nullable:
        for c in fk.columns:
            columns[c] = _ColumnPlan(c, "null")
        return
    else:
        raise Unfillable(f"it references {fk.parent}, which has no rows (foreign key {fk.name})")
    for position, (c, parent_column) in enumerate(zip(fk.columns, fk.parent_columns, strict=True)):
        columns[c] = _ColumnPlan(
            c, "fk", reference=reference, parent_column=parent_column, sample_index=position
        )


def _plan_column(table: _Table, column: _Column, target: int) -> _ColumnPlan | None:
    """How one column not under a foreign key gets its values (None: left to DEFAULT)."""
    if column.generated:
        return None
    rules = table.checks.columns.get(column.name)
    base = encoder_for(column.name, column.type)
    encoder = constrained(base, rules) if base is not None else None
    not_null = column.not_null or bool(rules and rules.not_null)
    if encoder is None or encoder.capacity < 1:
        if column.has_default:
            return None
        if not not_null:
            return _ColumnPlan(column.name, "null")
        why = (
            f"its CHECK constraints on {column.name} cannot be met"
            if base is not None
            else f"pgfence cannot make up values of type {column.type.label} ({column.name})"
        )
        raise Unfillable(why)
    if column.sequence and encoder.family == "int" and encoder.capacity >= target:
        return _ColumnPlan(column.name, "own", encoder, _Digits(encoder.capacity, sequential=True))
    return _ColumnPlan(column.name, "own", encoder, _Digits(encoder.spread_capacity))


def _plan_orderings(table: _Table, columns: dict[str, _ColumnPlan]) -> None:
    """CHECK (a < b): b takes a's ordinals and a later value. Anything else: not modelled."""
    for smaller, larger, strict in table.checks.orderings:
        a, b = columns.get(smaller), columns.get(larger)
        if (
            a is None
            or b is None
            or a.source != "own"
            or b.source != "own"
            or b.tie is not None
            or a.encoder is None
            or b.encoder is None
            or not orderable(a.encoder)
            or a.encoder.family != b.encoder.family
            or a.encoder.direction != 1
        ):
            table.checks.unmodelled.append(f"CHECK ({smaller} < {larger})")
            continue
        step = _TIME_SHIFT.get(a.encoder.family, 1) if strict else 0
        b.encoder = replace(a.encoder, shift=a.encoder.shift + step)
        b.tie = smaller


def _plan_unique_keys(
    table: _Table, columns: dict[str, _ColumnPlan], target: int
) -> tuple[int, str | None]:
    """Make every unique key tell its rows apart; the rows it can hold cap the table."""
    rows, note = target, None
    combined: list[set[str]] = []  # keys whose columns were combined like digits
    for key, key_columns in table.unique_keys:
        plans = [columns[c] for c in key_columns if c in columns]
        if len(plans) < len(key_columns) or any(p.source == "null" for p in plans):
            continue  # a column left to its DEFAULT (or NULL, distinct from every NULL)
        owners = [columns[p.tie] if p.tie else p for p in plans]
        if any(p.digits is not None and p.digits.sequential for p in owners):
            continue
        free = [
            p
            for p in owners
            if p.source == "own"
            and p.encoder
            and p.encoder.capacity >= rows
            and not p.in_unique_key
        ]
        if free:
            free[0].digits = _Digits(free[0].encoder.capacity)  # type: ignore[union-attr]
            free[0].in_unique_key = True
            continue
        if any(p.source == "own" and p.in_unique_key for p in owners):
            continue
        dimensions = _dimensions(owners)
        names = set(dimensions)
        if any(earlier <= names for earlier in combined):
            continue
        if any(names & earlier for earlier in combined):
            raise Unfillable(
                f"its unique keys share columns of small types (key {key}): not modelled"
            )
        capacity = 1
        for digits in dimensions.values():
            digits.stride = capacity
            capacity *= digits.capacity
        combined.append(names)
        if capacity < rows:
            rows = capacity
            note = f"capped at {capacity} rows: the distinct values of unique key {key}"
    return rows, note


def _dimensions(owners: list[_ColumnPlan]) -> dict[str, _Digits]:
    """The independent sources of a key's values: own columns, and each foreign key once."""
    out: dict[str, _Digits] = {}
    for plan in owners:
        if plan.source == "fk" and plan.reference is not None:
            out.setdefault("fk:" + plan.reference.constraint, plan.reference.digits)
        elif plan.digits is not None:
            plan.digits.capacity = plan.encoder.capacity if plan.encoder else plan.digits.capacity
            out.setdefault(plan.name, plan.digits)
    return out


# ---- order ------------------------------------------------------------------------------------


def fill_order(tables: dict[str, _Table]) -> list[str]:
    """Referenced tables first (Kahn's algorithm); tables in a cycle last, by name."""
    waiting_on = {
        name: {fk.parent for fk in t.foreign_keys if fk.parent != name and fk.parent in tables}
        for name, t in tables.items()
    }
    children: dict[str, list[str]] = {}
    for name, parents in waiting_on.items():
        for parent in parents:
            children.setdefault(parent, []).append(name)
    ready = sorted((name for name, parents in waiting_on.items() if not parents), reverse=True)
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for child in children.get(name, []):
            waiting_on[child].discard(name)
            if not waiting_on[child]:
                ready.append(child)
        ready.sort(reverse=True)
    placed = set(order)
    return order + sorted(set(tables) - placed)


# ---- writing ------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    relation: str
    rows: int = 0
    target: int | None = None
    filled: bool = False
    note: str | None = None
    kept: bool = False  # it had rows already (a dump with data): left as it was


def seed(dsn: str, request: SeedRequest, progress: Progress | None = None) -> SeedSummary:
    """Fill the tables of the database at `dsn` (a throwaway server's) as `request` asks."""
    say = progress or (lambda _message: None)
    with connect(dsn, application_name="pgfence seed") as conn:
        tables = _load_schema(conn)
        outcomes = {name: _Outcome(name) for name in tables}
        prefilled = _prefilled(conn, tables, outcomes)
        replica = _replica_role(conn)
        started = time.perf_counter()
        plans: dict[str, _TablePlan] = {}
        for name in fill_order(tables):
            outcome = outcomes[name]
            if outcome.kept:
                continue
            target, why = request.target(name)
            outcome.target = target
            if target is None:
                outcome.note = why
                continue
            try:
                plan = _plan_table(tables[name], target, plans, prefilled)
            except Unfillable as exc:
                outcome.note = str(exc)
                continue
            say(f"seeding {name}: {plan.rows} rows")
            error = _copy(conn, tables[name], plan, plans)
            if error is not None:
                outcome.note = error
                continue
            plans[name] = plan
            outcome.filled, outcome.rows, outcome.note = True, plan.rows, plan.note
        seconds = time.perf_counter() - started
        if replica:
            conn.execute(queries.SEED_ORIGIN_ROLE)
        _check_foreign_keys(conn, tables, outcomes)
        _finish(conn, tables, outcomes)
        sizes = _table_bytes(conn, [o.relation for o in outcomes.values() if o.filled or o.kept])
    return SeedSummary(
        tables=tuple(
            SeededTable(
                o.relation,
                o.rows,
                o.target,
                request.production_rows(o.relation),
                sizes.get(o.relation, 0),
                o.filled or o.kept,
                o.note,
            )
            for o in sorted(outcomes.values(), key=lambda o: o.relation)
        ),
        seconds=seconds,
        scale=request.scale,
        rows_per_table=request.rows,
    )


def _ident(relation: str) -> sql.Identifier:
    return sql.Identifier(*relation.split(".", 1))


def _prefilled(
    conn: psycopg.Connection, tables: dict[str, _Table], outcomes: dict[str, _Outcome]
) -> KeySamples:
    """Tables that already hold rows are kept; keys are read from those that are referenced,
    once for each set of columns a foreign key references."""
    referenced: dict[str, set[tuple[str, ...]]] = {}
    for table in tables.values():
        for fk in table.foreign_keys:
            referenced.setdefault(fk.parent, set()).add(tuple(fk.parent_columns))
    samples: KeySamples = {}
    for name in tables:
        query = sql.SQL(queries.SEED_HAS_ROWS).format(table=_ident(name))
        row = conn.execute(query).fetchone()
        if not (row and row[0]):
            continue
        count = conn.execute(sql.SQL(queries.SEED_ROW_COUNT).format(table=_ident(name))).fetchone()
        outcome = outcomes[name]
        outcome.kept, outcome.rows = True, int(count[0]) if count else 0
        outcome.note = "already had rows (from the schema file): kept as they were"
        for columns in sorted(referenced.get(name, ())):
            samples[name, columns] = _key_sample(conn, name, columns)
    return samples


def _key_sample(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...]
) -> list[tuple[str, ...]]:
    query = sql.SQL(queries.SEED_KEY_SAMPLE).format(
        columns=sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        table=_ident(table),
        not_null=sql.SQL(" AND ").join(
            sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns
        ),
    )
    return [tuple(_copy_text(v) for v in key) for key in conn.execute(query, (KEY_SAMPLE,))]


def _copy_text(value: object) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _replica_role(conn: psycopg.Connection) -> bool:
    try:
        conn.execute(queries.SEED_REPLICA_ROLE)
        return True
    except errors.InsufficientPrivilege:
        return False  # triggers fire then: tables are filled parents first all the same


def _copy(
    conn: psycopg.Connection, table: _Table, plan: _TablePlan, plans: dict[str, _TablePlan]
) -> str | None:
    """Write the plan's rows with one COPY; the reason Postgres refused them, or None."""
    names = list(plan.columns)
    query = sql.SQL(queries.SEED_COPY).format(
        table=_ident(table.relation), columns=sql.SQL(", ").join(map(sql.Identifier, names))
    )
    every = {**plans, table.relation: plan}
    try:
        with conn.cursor() as cur, cur.copy(query) as copy:
            for start in range(0, plan.rows, CHUNK_ROWS):
                rows = range(start, min(plan.rows, start + CHUNK_ROWS))
                columns = [plan.values(name, rows, every) for name in names]
                copy.write(("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n").encode())
    except psycopg.Error as exc:
        message = exc.diag.message_primary or first_line(exc)
        constraint = exc.diag.constraint_name
        unmodelled = table.checks.unmodelled
        if constraint and constraint in unmodelled:
            return f"Postgres refused the rows: {message} (pgfence does not model that CHECK)"
        if unmodelled:
            return f"Postgres refused the rows: {message} (not modelled: {', '.join(unmodelled)})"
        return f"Postgres refused the rows: {message}"
    return None


def _check_foreign_keys(
    conn: psycopg.Connection, tables: dict[str, _Table], outcomes: dict[str, _Outcome]
) -> None:
    """Every foreign key of a filled table, checked in one query; a table that breaks one is
    emptied (with the tables that reference it) and reported."""
    for name, table in tables.items():
        if not outcomes[name].filled:
            continue
        for fk in table.foreign_keys:
            query = sql.SQL(queries.SEED_FK_VIOLATIONS).format(
                child=_ident(name),
                parent=_ident(fk.parent),
                not_null=sql.SQL(" AND ").join(
                    sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in fk.columns
                ),
                join=sql.SQL(" AND ").join(
                    sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c))
                    for c, p in zip(fk.columns, fk.parent_columns, strict=True)
                ),
            )
            row = conn.execute(query).fetchone()
            broken = int(row[0]) if row else 0
            if broken:
                conn.execute(sql.SQL(queries.SEED_TRUNCATE).format(table=_ident(name)))
                _emptied(tables, outcomes, name, f"{broken} rows broke foreign key {fk.name}")
                break


def _emptied(tables: dict[str, _Table], outcomes: dict[str, _Outcome], name: str, why: str) -> None:
    outcome = outcomes[name]
    if not outcome.filled:
        return
    outcome.filled, outcome.rows, outcome.note = False, 0, f"emptied: {why}"
    for child, table in tables.items():
        if any(fk.parent == name for fk in table.foreign_keys) and child != name:
            _emptied(tables, outcomes, child, f"it references {name}, which was emptied")


def _finish(
    conn: psycopg.Connection, tables: dict[str, _Table], outcomes: dict[str, _Outcome]
) -> None:
    """Sequences continue after the seeded values; VACUUM ANALYZE, as production tables are."""
    filled = {name for name, o in outcomes.items() if o.filled}
    for table, sequence, column in conn.execute(queries.OWNED_SEQUENCES).fetchall():
        if table in filled:
            with contextlib.suppress(psycopg.Error):
                conn.execute(
                    sql.SQL(queries.SEED_SETVAL).format(
                        column=sql.Identifier(column), table=_ident(table)
                    ),
                    (sequence,),
                )
    for name in sorted(filled):
        conn.execute(sql.SQL(queries.SEED_VACUUM).format(table=_ident(name)))


def _table_bytes(conn: psycopg.Connection, relations: list[str]) -> dict[str, int]:
    if not relations:
        return {}
    return {name: int(size) for name, size in conn.execute(queries.SEED_TABLE_BYTES, (relations,))}
