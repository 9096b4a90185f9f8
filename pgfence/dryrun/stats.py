"""Production sizes: how many rows and bytes each table has, read from a server or a file.

`--stats-from DSN` and `pgfence stats --dsn DSN` read them from a live server, read-only
(the session is `default_transaction_read_only`, with a short lock_timeout so it never
queues behind a migration); `--stats FILE` reads a stats file written earlier, so a nightly
job can reuse production sizes without reaching production. The file format is
documented in docs/stats-file.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors

from pgfence.dryrun import queries
from pgfence.errors import BadInput, ServerError
from pgfence.model import RelKind

STATS_FORMAT = 1
LOCK_TIMEOUT = "2s"


@dataclass(frozen=True)
class IndexSize:
    name: str  # schema-qualified
    bytes: int


@dataclass(frozen=True)
class TableSize:
    relation: str  # schema-qualified
    kind: RelKind
    # The planner's row count (pg_class.reltuples); None when the table was never vacuumed
    # or analysed. For a partitioned table: the sum over its partitions.
    rows: int | None
    table_bytes: int  # pg_relation_size: the heap alone
    total_bytes: int  # pg_total_relation_size: heap, TOAST and indexes
    indexes: tuple[IndexSize, ...] = ()
    partition_of: str | None = None

    @property
    def bytes_per_row(self) -> float | None:
        """Heap bytes per row, the width a rewrite copies."""
        if not self.rows:
            return None
        return self.table_bytes / self.rows


@dataclass(frozen=True)
class Stats:
    tables: tuple[TableSize, ...]
    server_version: str | None = None
    database: str | None = None
    taken_at: str | None = None  # ISO 8601, UTC

    def table(self, relation: str) -> TableSize | None:
        for table in self.tables:
            if table.relation == relation:
                return table
        return None


# ---- reading a server ----------------------------------------------------------------------


def read_from(dsn: str, *, option: str = "--stats-from") -> Stats:
    """The sizes of every user table of the server at `dsn`, read-only."""
    from pgfence.dryrun.servers.existing import connect

    with connect(dsn, option, "pgfence stats") as conn:
        conn.execute(queries.READ_ONLY_SESSION)
        conn.execute(queries.SESSION_LOCK_TIMEOUT, (LOCK_TIMEOUT,))
        try:
            return read(conn)
        except errors.LockNotAvailable:
            raise ServerError(
                f"{option}: a table is locked by a running migration (waited {LOCK_TIMEOUT} to "
                "read its size): try again later"
            ) from None


def read(conn: psycopg.Connection) -> Stats:
    row = conn.execute(queries.STATS_SERVER).fetchone()
    assert row is not None
    version, database = str(row[0]).split()[0], str(row[1])
    indexes: dict[str, list[IndexSize]] = {}
    for table, index, size in conn.execute(queries.STATS_INDEXES, ()):
        indexes.setdefault(table, []).append(IndexSize(index, int(size)))
    tables = [
        TableSize(
            relation=name,
            kind=RelKind.from_pg_relkind(relkind),
            rows=None if reltuples < 0 else round(reltuples),
            table_bytes=int(size),
            total_bytes=int(total),
            indexes=tuple(indexes.get(name, ())),
            partition_of=parent,
        )
        for name, relkind, reltuples, size, total, parent in conn.execute(queries.STATS_TABLES, ())
    ]
    taken = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Stats(tuple(_with_partitions(tables)), version, database, taken)


def _with_partitions(tables: list[TableSize]) -> Iterable[TableSize]:
    """A partitioned table has no rows or files of its own: give it its partitions' sums."""
    children: dict[str, list[TableSize]] = {}
    for table in tables:
        if table.partition_of:
            children.setdefault(table.partition_of, []).append(table)

    def summed(table: TableSize) -> TableSize:
        if table.kind is not RelKind.PARTITIONED_TABLE:
            return table
        parts = [summed(child) for child in children.get(table.relation, [])]
        known = [p.rows for p in parts if p.rows is not None]
        return TableSize(
            table.relation,
            table.kind,
            sum(known) if known else None,
            sum(p.table_bytes for p in parts),
            sum(p.total_bytes for p in parts) + table.total_bytes,
            table.indexes,
            table.partition_of,
        )

    return [summed(table) for table in tables]


# ---- the stats file ----------------------------------------------------------------------------


def to_json(stats: Stats) -> str:
    data: dict[str, Any] = {
        "pgfence_stats": STATS_FORMAT,
        "taken_at": stats.taken_at,
        "server_version": stats.server_version,
        "database": stats.database,
        "tables": {
            t.relation: {
                "kind": t.kind.value,
                "rows": t.rows,
                "table_bytes": t.table_bytes,
                "total_bytes": t.total_bytes,
                "indexes": {i.name: i.bytes for i in t.indexes},
                **({"partition_of": t.partition_of} if t.partition_of else {}),
            }
            for t in stats.tables
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def save(stats: Stats, path: str) -> None:
    try:
        Path(path).write_text(to_json(stats), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write the stats file: {exc.strerror}", file=path) from None


def load(path: str) -> Stats:
    from pgfence.sources.files import read_text

    text = read_text(path, max_bytes=None)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not a stats file: {exc.msg}", file=path, line=exc.lineno) from None
    format_ = data.get("pgfence_stats") if isinstance(data, dict) else None
    if type(format_) is not int or format_ != STATS_FORMAT:
        raise BadInput(
            f'not a stats file of format {STATS_FORMAT} (expected "pgfence_stats": '
            f"{STATS_FORMAT}; write one with `pgfence stats --dsn DSN -o FILE`)",
            file=path,
        )
    entries = data.get("tables")
    if not isinstance(entries, dict):
        raise BadInput('"tables" must be an object keyed by schema-qualified table', file=path)
    tables = [_table(name, entry, path) for name, entry in entries.items()]
    return Stats(
        tuple(tables),
        _optional_str(data.get("server_version")),
        _optional_str(data.get("database")),
        _optional_str(data.get("taken_at")),
    )


_KINDS = (RelKind.TABLE, RelKind.PARTITIONED_TABLE, RelKind.MATERIALIZED_VIEW)


def _table(name: str, entry: object, path: str) -> TableSize:
    if "." not in name or not isinstance(entry, dict):
        raise BadInput(f"table {name!r}: expected a schema-qualified name and an object", file=path)

    def bad(what: str) -> BadInput:
        return BadInput(f"table {name}: {what}", file=path)

    rows = entry.get("rows")
    kind = entry.get("kind", "table")
    if kind not in _KINDS:
        raise bad(f"kind {json.dumps(kind)} is not one of {', '.join(_KINDS)}")
    table_bytes = _count(entry.get("table_bytes", 0), "table_bytes", bad)
    indexes = entry.get("indexes", {})
    if not isinstance(indexes, dict):
        raise bad('"indexes" must be an object: index name -> bytes')
    parent = entry.get("partition_of")
    return TableSize(
        name,
        RelKind(kind),
        None if rows is None else _count(rows, "rows", bad),
        table_bytes,
        _count(entry.get("total_bytes", table_bytes), "total_bytes", bad),
        tuple(IndexSize(str(i), _count(b, f"index {i}", bad)) for i, b in indexes.items()),
        parent if isinstance(parent, str) else None,
    )


def _count(value: object, what: str, bad: Callable[[str], BadInput]) -> int:
    """A row or byte count: a finite, non-negative number (JSON allows NaN and 1e400)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise bad(f"{what} must be a non-negative number, not {json.dumps(value)}")
    return round(value)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
