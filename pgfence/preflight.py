"""Is now a good time to run this migration? Read-only checks against the live server.

The locks the migration needs come from its static prediction (with the live schema as
catalog); the server is asked, through pg_locks and pg_stat_activity, who holds or waits
for a conflicting lock on those relations right now, which transactions have been open
for long, and — from two readings of the statistics counters — how busy each table is,
which is what would queue behind the migration while it waits for its lock.

The session is read-only (default_transaction_read_only) with short lock and statement
timeouts, and reads only catalogs and statistics views: it takes no lock on any user
table, and nothing stronger than ACCESS SHARE on any catalog.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from pglast import ast
from pglast.enums import AlterTableType

from pgfence.analysis.analyze import build_report
from pgfence.analysis.statements import (
    builds_index_concurrently,
    parse_duration_ms,
    setting_changes,
)
from pgfence.dryrun import queries
from pgfence.dryrun.introspect import load_catalog
from pgfence.dsn import connect, first_line, redact, scrub
from pgfence.durations import format_ms
from pgfence.errors import ServerError
from pgfence.model import (
    Blocker,
    LockMode,
    LockNeed,
    Migration,
    OtherSession,
    PreflightReport,
    ServerInfo,
    StatementReport,
    TableTraffic,
)
from pgfence.pg.locks import conflicts
from pgfence.pg.versions import NEWEST, OLDEST
from pgfence.version import __version__

SESSION_LOCK_TIMEOUT = "1s"  # the preflight's own: it never queues behind anything for long
SESSION_STATEMENT_TIMEOUT = "15s"
QUERY_CHARS = 120  # a session's query, shortened for the report
_IDLE_IN_TRANSACTION = ("idle in transaction", "idle in transaction (aborted)")


@dataclass(frozen=True)
class PreflightOptions:
    lock_timeout_ms: float | None = None  # --lock-timeout; None: the migration's, or the server's
    long_transaction_s: float = 60.0
    sample_s: float = 1.0  # how long to watch the tables' statistics counters (0: not at all)


def preflight(
    dsn: str, migrations: Sequence[Migration], options: PreflightOptions
) -> PreflightReport:
    with connect(dsn, "--dsn", "pgfence preflight") as conn:
        try:
            return _check(conn, migrations, options)
        except psycopg.Error as exc:
            raise ServerError(
                f"preflight on {redact(dsn)} failed: {scrub(first_line(exc), dsn)}"
            ) from None


def _check(
    conn: psycopg.Connection, migrations: Sequence[Migration], options: PreflightOptions
) -> PreflightReport:
    settings = conn.execute(queries.PREFLIGHT_SETTINGS).fetchone()  # before setting our own
    assert settings is not None
    server_timeout = str(settings[0])
    conn.execute(queries.READ_ONLY_SESSION)
    conn.execute(queries.SESSION_LOCK_TIMEOUT, (SESSION_LOCK_TIMEOUT,))
    conn.execute(queries.SESSION_STATEMENT_TIMEOUT, (SESSION_STATEMENT_TIMEOUT,))
    row = conn.execute(queries.SERVER_VERSION).fetchone()
    assert row is not None
    version, major = str(row[0]).split()[0], int(row[1]) // 10000
    catalog = load_catalog(conn)
    report = build_report(migrations, version=min(max(major, OLDEST), NEWEST), catalog=catalog)
    timeout_ms, source = _lock_timeout(report.statements, options, server_timeout)
    needs = lock_needs(report.statements)
    oids = _oids(conn, sorted({n.relation for n in needs}))
    sessions_on: dict[str, set[int | None]] = {}
    blockers: list[Blocker] = []
    for record in conn.execute(queries.PREFLIGHT_LOCKS, (list(oids.values()),)).fetchall():
        relation = next(name for name, oid in oids.items() if oid == record[0])
        mode = _mode(record[1])
        if mode is None:
            continue
        session = _session(record[3:])
        sessions_on.setdefault(relation, set()).add(session.pid)
        blockers.extend(_conflicts(needs, relation, mode, bool(record[2]), session, timeout_ms))
    long_s = options.long_transaction_s
    long_transactions = [
        _session(r) for r in conn.execute(queries.PREFLIGHT_LONG_TRANSACTIONS, (long_s, long_s))
    ]
    # A concurrent build waits at its end for every transaction holding an older snapshot.
    snapshots = (
        [_session(r) for r in conn.execute(queries.PREFLIGHT_SNAPSHOT_HOLDERS)]
        if any(n.waits_for_old_transactions for n in needs)
        else []
    )
    blockers = _one_per_session_and_table(blockers, needs)
    hidden = _hidden_sessions(conn)
    traffic = _traffic(conn, needs, oids, sessions_on, options.sample_s, timeout_ms)
    reasons = _reasons(needs, blockers, snapshots, timeout_ms)
    notes = _notes(blockers, needs, oids, timeout_ms, any_migration=bool(migrations))
    if hidden:
        notes.append(_hidden_note(hidden, str(settings[2])))
    return PreflightReport(
        server=ServerInfo(version, major, "dsn"),
        lock_timeout_ms=timeout_ms,
        lock_timeout_source=source,
        needs=tuple(needs),
        blockers=tuple(blockers),
        long_transactions=tuple(long_transactions),
        traffic=tuple(traffic),
        reasons=tuple(reasons),
        notes=tuple(notes),
        pgfence_version=__version__,
    )


# ---- what the migration needs -------------------------------------------------------------------


def lock_needs(statements: Sequence[StatementReport]) -> list[LockNeed]:
    """Per existing relation, the strongest lock predicted, and where it is first asked for.

    Relations the migration creates itself are left out; an index is listed only when it
    is locked harder than its table (DROP INDEX, REINDEX), since a session in the way of
    the index lock is in the way of the table lock otherwise.
    """
    created = {lock.relation for s in statements for lock in s.prediction.locks if lock.new}
    strongest: dict[str, LockNeed] = {}
    for s in statements:
        waits = _waits_for_old_transactions(s)
        for lock in s.prediction.locks:
            if lock.new or lock.relation in created or lock.relation.startswith("("):
                continue
            table = lock.table if lock.kind.is_index_or_toast else None
            known = strongest.get(lock.relation)
            if known is None or lock.mode > known.mode:
                strongest[lock.relation] = LockNeed(
                    lock.relation, lock.mode, s.statement.location, waits, table
                )
            elif waits and not known.waits_for_old_transactions:
                strongest[lock.relation] = dataclasses.replace(
                    known, waits_for_old_transactions=True
                )
    needs = [
        n
        for n in strongest.values()
        if n.table is None or n.table not in strongest or n.mode > strongest[n.table].mode
    ]
    return sorted(needs, key=lambda n: (n.location, n.relation))


def _waits_for_old_transactions(s: StatementReport) -> bool:
    """CREATE INDEX / REINDEX / DETACH PARTITION … CONCURRENTLY wait out older transactions."""
    node = s.statement.node
    if builds_index_concurrently(node):
        return True
    if isinstance(node, ast.AlterTableStmt):
        return any(
            cmd.subtype is AlterTableType.AT_DetachPartition
            and isinstance(cmd.def_, ast.PartitionCmd)
            and cmd.def_.concurrent
            for cmd in node.cmds or ()
        )
    return False


def _lock_timeout(
    statements: Sequence[StatementReport], options: PreflightOptions, server: str
) -> tuple[float, str]:
    """The lock_timeout the migration will run with, in ms, and where it comes from."""
    if options.lock_timeout_ms is not None:
        return options.lock_timeout_ms, "--lock-timeout"
    for s in statements:
        for change in setting_changes(s.statement.node):
            if change.name == "lock_timeout" and change.value_ms is not None:
                return change.value_ms, f"the migration (line {s.statement.location.line})"
    parsed = parse_duration_ms(server)
    return (parsed or 0.0), "the server's setting for this role and database"


def _oids(conn: psycopg.Connection, relations: list[str]) -> dict[str, int]:
    if not relations:
        return {}
    return {name: int(oid) for name, oid in conn.execute(queries.PREFLIGHT_RELATIONS, (relations,))}


# ---- who is in the way -------------------------------------------------------------------------


def _mode(name: str) -> LockMode | None:
    try:
        return LockMode.from_pg_name(name)
    except ValueError:
        return None


def _session(row: Sequence[object]) -> OtherSession:
    pid, user, app, state, backend_type, xact_age, query_age, query, gid, prepared_age, hidden = row
    if pid is None and gid is not None:
        state, xact_age = "prepared", prepared_age
    if hidden:
        query = ""  # "<insufficient privilege>"
    return OtherSession(
        pid=int(pid) if isinstance(pid, int) else None,
        user=_text(user),
        application=_text(app),
        state=_text(state),
        backend_type=_text(backend_type),
        transaction_age_s=float(xact_age) if isinstance(xact_age, float | int) else None,
        query_age_s=float(query_age) if isinstance(query_age, float | int) else None,
        query=shorten(str(query or "")),
        prepared_gid=_text(gid),
        hidden=bool(hidden),
    )


def _hidden_sessions(conn: psycopg.Connection) -> int:
    row = conn.execute(queries.PREFLIGHT_HIDDEN_SESSIONS).fetchone()
    return int(row[0]) if row else 0


def _hidden_note(count: int, role: str) -> str:
    return (
        f"{count} session(s) of other roles hide their state, query and transaction from "
        f"{role}: a conflicting lock one of them holds counts as lasting, and long "
        "transactions or old snapshots among them are not seen (GRANT pg_read_all_stats "
        f"TO {role} to see them)"
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def shorten(query: str, limit: int = QUERY_CHARS) -> str:
    flat = re.sub(r"\s+", " ", query).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _conflicts(
    needs: Sequence[LockNeed],
    relation: str,
    mode: LockMode,
    granted: bool,
    session: OtherSession,
    timeout_ms: float,
) -> list[Blocker]:
    out = []
    for need in needs:
        # A concurrent build also waits for every transaction that writes to the table (its
        # locks conflict with SHARE), whatever the build's own lock lets through.
        waited_for = conflicts(need.mode) | (
            conflicts(LockMode.SHARE) if need.waits_for_old_transactions else frozenset()
        )
        if need.relation != relation or mode not in waited_for:
            continue
        lasting, why = _lasting(session, mode, granted, timeout_ms)
        out.append(
            Blocker(session, relation, mode, granted, need.mode, need.location, lasting, why)
        )
    return out


def _one_per_session_and_table(
    blockers: Sequence[Blocker], needs: Sequence[LockNeed]
) -> list[Blocker]:
    """A session holding a table and its indexes is in the way once, for that table."""
    table_of = {n.relation: n.table or n.relation for n in needs}
    seen: set[tuple[int | str | None, str]] = set()
    out = []
    for blocker in blockers:
        who = (
            blocker.session.pid if blocker.session.pid is not None else blocker.session.prepared_gid
        )
        key = (who, table_of.get(blocker.relation, blocker.relation))
        if key not in seen:
            seen.add(key)
            out.append(blocker)
    return out


def _lasting(
    session: OtherSession, mode: LockMode, granted: bool, timeout_ms: float
) -> tuple[bool, str]:
    """Will it hold its lock longer than the migration is willing to wait? And why we think so."""
    held = "holds" if granted else "waits for (ahead of the migration)"
    what = f"{held} {mode.pg_name.removesuffix('Lock')}"
    age = session.transaction_age_s
    age_words = f" for {format_ms(age * 1000)}" if age is not None else ""
    if session.backend_type == "autovacuum worker":
        if "wraparound" in session.query:
            return True, f"{what}: autovacuum to prevent wraparound, which does not give way"
        return False, f"{what}: autovacuum, which gives way to a conflicting lock request"
    if session.pid is None:
        return True, f"{what}: a prepared transaction, held until someone commits it"
    if session.hidden:
        return True, (
            f"{what}: another role's session, whose state this role may not see (no "
            "pg_read_all_stats): it may be idle in transaction, so it counts as lasting"
        )
    if session.state in _IDLE_IN_TRANSACTION:
        return True, f"{what}: {session.state}{age_words}, held until the application ends it"
    if timeout_ms <= 0:
        return True, f"{what}: transaction open{age_words}, and the migration has no lock_timeout"
    if age is not None and age * 1000 >= timeout_ms:
        return True, (
            f"{what}: transaction open{age_words}, longer than lock_timeout "
            f"{format_ms(timeout_ms)} already"
        )
    return False, f"{what}: a transaction open{age_words}, probably brief"


def _reasons(
    needs: Sequence[LockNeed],
    blockers: Sequence[Blocker],
    snapshots: Sequence[OtherSession],
    timeout_ms: float,
) -> list[str]:
    limit = f"lock_timeout {format_ms(timeout_ms)}" if timeout_ms > 0 else "no lock_timeout"
    reasons = [
        f"line {b.location.line} would wait for {b.session.label} on {b.relation} "
        f"({b.why}) — {limit}"
        for b in blockers
        if b.lasting
    ]
    concurrent = [n for n in needs if n.waits_for_old_transactions]
    if concurrent:
        threshold = timeout_ms / 1000 if timeout_ms > 0 else 0.0
        for session in snapshots:
            age = session.transaction_age_s or 0.0
            idle = (session.state or "").startswith("idle in transaction")
            if idle or age >= threshold:
                held = (
                    "idle in transaction, held until the application ends it"
                    if idle
                    else f"open for {format_ms(age * 1000)}"
                )
                reasons.append(
                    f"line {concurrent[0].location.line} builds concurrently and waits for every "
                    f"transaction holding an older snapshot: {session.label} holds one ({held})"
                )
    return reasons


def _notes(
    blockers: Sequence[Blocker],
    needs: Sequence[LockNeed],
    oids: dict[str, int],
    timeout_ms: float,
    *,
    any_migration: bool,
) -> list[str]:
    notes = []
    if timeout_ms <= 0 and any(n.mode.blocks_writes for n in needs):
        notes.append(
            "the migration runs without lock_timeout: if a session takes a conflicting lock "
            "before it starts, it waits for as long as that session, with every query on the "
            "table queued behind it (SET lock_timeout = '2s' at its start)"
        )
    missing = sorted({n.relation for n in needs} - set(oids))
    if missing:
        notes.append("not on this server (created by an earlier migration?): " + ", ".join(missing))
    if not any_migration:
        notes.append("no migration given: only long transactions were looked for")
    elif not needs:
        notes.append("the migration locks no existing relation")
    brief = [b for b in blockers if not b.lasting]
    if brief:
        notes.append(
            f"{len(brief)} conflicting lock(s) of short transactions or autovacuum: the "
            "migration would queue briefly behind them"
        )
    return notes


# ---- what would queue behind it -----------------------------------------------------------------


def _traffic(
    conn: psycopg.Connection,
    needs: Sequence[LockNeed],
    oids: dict[str, int],
    sessions_on: dict[str, set[int | None]],
    sample_s: float,
    timeout_ms: float,
) -> list[TableTraffic]:
    blocking = [n for n in needs if n.relation in oids and n.table is None and n.mode.blocks_writes]
    if not blocking:
        return []
    wanted = [oids[n.relation] for n in blocking]
    rates: dict[int, tuple[float, float]] = {}
    if sample_s > 0:
        first = _counters(conn, wanted)
        time.sleep(sample_s)
        second = _counters(conn, wanted)
        for oid, (scans_after, writes_after) in second.items():
            scans_before, writes_before = first.get(oid, (scans_after, writes_after))
            rates[oid] = (
                (scans_after - scans_before) / sample_s,
                (writes_after - writes_before) / sample_s,
            )
    out = []
    for need in blocking:
        rate = rates.get(oids[need.relation])
        scans, writes = rate if rate is not None else (None, None)
        sessions = len(sessions_on.get(need.relation, set()))
        out.append(
            TableTraffic(
                need.relation,
                need.mode,
                sessions,
                scans,
                writes,
                sample_s,
                _queue_words(need, sessions, scans, writes, sample_s, timeout_ms),
            )
        )
    return out


def _counters(conn: psycopg.Connection, oids: list[int]) -> dict[int, tuple[int, int]]:
    rows = conn.execute(queries.PREFLIGHT_TABLE_ACTIVITY, (oids,)).fetchall()
    return {int(oid): (int(scans), int(writes)) for oid, scans, writes in rows}


def _queue_words(
    need: LockNeed,
    sessions: int,
    scans: float | None,
    writes: float | None,
    sample_s: float,
    timeout_ms: float,
) -> str:
    name = need.relation.removeprefix("public.")
    what = "every read and write" if need.mode.blocks_reads else "every write"
    wait = (
        f"up to lock_timeout {format_ms(timeout_ms)}" if timeout_ms > 0 else "with no lock_timeout"
    )
    text = (
        f"while it waits ({wait}) and holds {need.mode.pg_name}, {what} of {name} queues behind it"
    )
    if sessions:
        text += f"; {sessions} session(s) hold or wait for a lock on {name} now"
    if scans is not None and writes is not None:
        text += (
            f"; {scans:.0f} scans/s and {writes:.0f} rows written/s over the last "
            f"{sample_s:g} s (statistics counters lag by up to a second)"
        )
    return text
