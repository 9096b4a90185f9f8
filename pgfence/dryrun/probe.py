"""Observe one statement on a real server: the locks it takes, what it rewrites, what it blocks.

Three kinds of session take part:
- the *migration* session runs the user's statements, in the migration's own transactions;
- the *probe* session reads `pg_locks` for the migration's backend while its transaction
  is still open, and tries `LOCK TABLE … NOWAIT` and a real `SELECT … LIMIT 1` on each
  locked table to measure whether a reader or a writer would be blocked (every probe
  transaction is rolled back);
- for statements that cannot run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM,
  …), a *gate* session briefly holds the target tables so the statement's lock requests
  are seen while they wait, and a *snapshot* session holds an open snapshot so that the
  phases that wait for older transactions can be observed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections import ChainMap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors, sql

from pgfence.dryrun import introspect, queries
from pgfence.dryrun.introspect import (
    FIRST_USER_OID,
    RawLock,
    RelationFile,
    SeenRelations,
    backend_lock_keys,
    backend_lock_keys_with_files,
    backend_locks,
    backend_locks_with_files,
    changed_files,
    changed_files_meanwhile,
    changed_seen_meanwhile,
    observed_locks,
    raw_lock,
    relation_files,
    relation_identifier,
    rewritten,
)
from pgfence.dryrun.servers.existing import first_line
from pgfence.dryrun.session import MigrationSession, PreparingSession
from pgfence.model import (
    Location,
    LockLog,
    Observation,
    ObservedLock,
    RelKind,
    Statement,
    StatementError,
)
from pgfence.pg.locks import LockMode

SELECT_PROBE_TIMEOUT_MS = 30
GATE_MAX_S = 2.0  # how long the gates wait to see the statement queue behind them (slow machines)
SNAPSHOT_HOLD_S = 0.2  # how long the snapshot session keeps its snapshot
SAMPLE_INTERVAL_S = 0.002


class OneStatementCursor(psycopg.Cursor[Any]):
    """Sends every query through the extended query protocol, COPY included.

    A Parse message carries one statement: the server itself refuses a text that holds
    more ("cannot insert multiple commands into a prepared statement"), so a statement
    that pgfence cut differently from the server can never smuggle a COMMIT and what
    follows it into the migration's transaction. psycopg uses the simple protocol for a
    query without parameters, which runs any number of statements; this forces the other.
    """

    def _execute_send(
        self, query: Any, *, force_extended: bool = False, binary: bool | None = None
    ) -> None:
        super()._execute_send(query, force_extended=True, binary=binary)


# The keepalives let the server notice a vanished client on TCP; a Unix socket closes.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}


def connect(
    dsn: str, *, application_name: str, prepare: bool = False, one_statement: bool = False
) -> psycopg.Connection:
    """A session in autocommit. Nothing is prepared behind pgfence's back: never a user's
    statement; with `prepare`, pgfence's own queries where it asks (`prepare=True`).
    `one_statement`: every query through the extended protocol (the migration's session,
    a `MigrationSession`)."""
    conninfo = psycopg.conninfo.make_conninfo(dsn, application_name=application_name, **_KEEPALIVES)
    if one_statement:  # its change check is prepared by libpq (session.py), never by psycopg
        conn: psycopg.Connection = MigrationSession.connect(
            conninfo, autocommit=True, cursor_factory=OneStatementCursor
        )
    elif prepare:  # its queries after every statement are prepared by libpq (session.py)
        conn = PreparingSession.connect(conninfo, autocommit=True)
    else:
        conn = psycopg.connect(conninfo, autocommit=True)
    conn.prepare_threshold = 2**31 if prepare else None
    return conn


@dataclass(frozen=True)
class LockCap:
    """On an existing server: no lock wait of the migration lasts longer than `cap_s`,
    whatever lock_timeout the migration set for itself (even within one statement, as a
    DO block calling set_config() can). `probe` asks pg_locks whether `pid` waits."""

    probe: psycopg.Connection
    pid: int
    cap_s: float


LOCK_POLL_S = 0.1  # how often a running statement is asked whether it waits for a lock


class _Watchdog:
    """Cancels the statement running on a connection once its time is up, or once it
    has waited for a lock for longer than a LockCap allows.

    The timeout is the client's, so nothing is SET in the migration's own session. One
    thread serves every statement (starting a thread per statement costs a millisecond).
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._target: tuple[psycopg.Connection, float] | None = None
        self._cap: LockCap | None = None
        self._waiting_since: float | None = None
        self._fired = False
        self.lock_fired = False  # the last cancel was for a lock wait past the cap
        self._stopped = False
        self._thread: threading.Thread | None = None
        # When the watching thread wakes next by itself (None: only when notified). Waking
        # it on every arm and disarm cost two thread switches a statement on a busy
        # machine; a deadline later than that is found when it wakes.
        self._wakes_at: float | None = None

    def arm(self, conn: psycopg.Connection, timeout_s: float, cap: LockCap | None = None) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="pgfence-watchdog", daemon=True
                )
                self._thread.start()
            deadline = time.monotonic() + timeout_s
            self._target = (conn, deadline)
            self._cap = cap
            self._waiting_since = None
            self._fired = False
            self.lock_fired = False
            if cap is not None or self._wakes_at is None or deadline < self._wakes_at:
                self._lock.notify()

    def disarm(self) -> bool:
        """Stop watching; True if the statement was cancelled for running too long. The
        thread is not woken: with no target when it wakes, it goes back to waiting."""
        with self._lock:
            self._target = None
            return self._fired

    def stop(self) -> None:
        with self._lock:
            self._target = None
            self._stopped = True
            self._lock.notify()

    def _watch(self) -> None:
        with self._lock:
            while not self._stopped:
                if self._target is None:
                    self._wakes_at = None
                    self._lock.wait()
                    continue
                conn, deadline = self._target
                now = time.monotonic()
                left = deadline - now
                if left > 0 and not self._lock_wait_too_long(now):
                    sleep = min(left, LOCK_POLL_S) if self._cap else left
                    self._wakes_at = now + sleep
                    self._lock.wait(sleep)
                    continue
                self._fired = True
                self.lock_fired = left > 0
                self._target = None
                with contextlib.suppress(Exception):
                    conn.cancel()

    def _lock_wait_too_long(self, now: float) -> bool:
        cap = self._cap
        if cap is None:
            return False
        try:
            waiting = _waiting(cap.probe, cap.pid)
        except psycopg.Error:
            return False  # the probe's own trouble shows where it is used next
        if not waiting:
            self._waiting_since = None
            return False
        if self._waiting_since is None:
            self._waiting_since = now
        return now - self._waiting_since >= cap.cap_s


@dataclass
class Sessions:
    migration: psycopg.Connection
    probe: psycopg.Connection
    dsn: str
    migration_pid: int = 0
    watchdog: _Watchdog = field(default_factory=_Watchdog)

    def __post_init__(self) -> None:
        self.migration_pid = self.migration.info.backend_pid

    @classmethod
    def open(cls, dsn: str) -> Sessions:
        migration = connect(dsn, application_name="pgfence migration", one_statement=True)
        try:
            probe = connect(dsn, application_name="pgfence probe", prepare=True)
        except BaseException:
            migration.close()
            raise
        return cls(migration, probe, dsn)

    def close(self) -> None:
        self.watchdog.stop()
        for conn in (self.migration, self.probe):
            with contextlib.suppress(Exception):
                conn.close()


@dataclass
class Execution:
    """What running a statement produced, before it is turned into an Observation."""

    duration_ms: float = 0.0
    error: StatementError | None = None
    timed_out: bool = False
    waited_for_lock: bool = False


def execute(
    conn: psycopg.Connection,
    statement: Statement,
    timeout_s: float,
    watchdog: _Watchdog,
    cap: LockCap | None = None,
) -> Execution:
    """Run one statement, cancelled by the watchdog after `timeout_s` (or a lock wait
    longer than `cap` allows)."""
    start = time.perf_counter()
    watchdog.arm(conn, timeout_s, cap)
    try:
        if statement.copy_data is not None:
            with conn.cursor() as cur, cur.copy(statement.sql) as copy:
                copy.write(statement.copy_data.encode())
        else:
            conn.execute(statement.sql)  # no parameters: the text is sent as written
        return Execution(duration_ms=(time.perf_counter() - start) * 1000)
    except errors.QueryCanceled as exc:
        timed_out = watchdog.disarm()
        if timed_out and watchdog.lock_fired and cap is not None:
            return Execution(
                (time.perf_counter() - start) * 1000,
                StatementError(
                    "55P03",
                    f"waited for a lock for {cap.cap_s:g} s, pgfence's cap on an existing "
                    "server (whatever lock_timeout the migration set): cancelled",
                    None,
                ),
                waited_for_lock=True,
            )
        message = (
            f"cancelled after {timeout_s:g} s (--statement-timeout)"
            if timed_out
            else exc.diag.message_primary or str(exc)
        )
        return Execution(
            (time.perf_counter() - start) * 1000,
            StatementError(exc.sqlstate, message, None),
            timed_out=timed_out,
        )
    except psycopg.Error as exc:
        if conn.broken:  # the server or the session is gone: no statement's fault
            raise
        return Execution(
            (time.perf_counter() - start) * 1000,
            _error(exc, statement),
            waited_for_lock=isinstance(exc, errors.LockNotAvailable),
        )
    finally:
        watchdog.disarm()


def _error(exc: psycopg.Error, statement: Statement) -> StatementError:
    diag = exc.diag
    message = diag.message_primary or first_line(exc)
    location = None
    position = diag.statement_position
    if position and position.isdigit():
        offset = int(position) - 1
        before = statement.sql[:offset]
        line = statement.location.line + before.count("\n")
        column = (
            offset - before.rfind("\n") if "\n" in before else statement.location.column + offset
        )
        location = Location(statement.location.file, line, column)
    return StatementError(exc.sqlstate, message, location)


# ---- blocking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocking:
    reads: bool | None
    writes: bool | None
    select_blocked: tuple[str, ...] = ()
    # The tables a reader / a writer of which was kept out (per-relation blocking).
    reads_blocked_on: tuple[str, ...] = ()
    writes_blocked_on: tuple[str, ...] = ()


def measure_blocking(probe: psycopg.Connection, locks: list[ObservedLock]) -> Blocking:
    """Try, from the probe session, what a reader and a writer of each locked table would get.

    `LOCK TABLE … NOWAIT` answers for the table itself. A lock on one of its indexes (or its
    TOAST table) can stop a reader or writer that the table lock lets through, since the
    planner opens every index: then a real `SELECT … LIMIT 1` and a planned `DELETE`
    (EXPLAIN only: nothing is executed) are tried with a short lock_timeout.
    """
    return BlockingMeasure().measure(probe, locks)


@dataclass
class BlockingMeasure:
    """What readers and writers of each table got, over one transaction's statements.

    A table is tried again only when a statement took a new lock on it or on one of its
    indexes or TOAST table: on a server pgfence started nobody else holds locks, so what a
    reader or writer gets depends on nothing else, and a long transaction costs a try per
    lock it takes rather than one per table held, after every statement. Nor then when
    the try cannot answer otherwise than last time: locks are only added until the
    transaction ends (a rollback to a savepoint starts a new measure), so a table a reader
    or writer could not get stays so, and one it could get stays so as long as no lock
    that would stop it was taken since, on any relation (LOCK TABLE takes the table's
    partitions and children and a view's tables along, the SELECT and the planned DELETE
    its indexes).
    """

    # Modes held on each table's indexes and TOAST relations.
    dependents: dict[str, set[LockMode]] = field(default_factory=dict)
    reads_blocked: set[str] = field(default_factory=set)
    writes_blocked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # tables that could not be tried
    # Sequences cannot be locked from outside; what waits on them is nextval() in an
    # INSERT (ROW EXCLUSIVE) or a read of the sequence: the conflict matrix answers.
    sequence_modes: set[LockMode] = field(default_factory=set)
    # Locks taken so far (granted, on relations that existed before) that would stop a
    # writer / a reader; and those two counts when each table was last tried.
    writer_stops: int = 0
    reader_stops: int = 0
    tried_at: dict[str, tuple[int, int]] = field(default_factory=dict)

    def measure(self, probe: psycopg.Connection, locks: list[ObservedLock]) -> Blocking:
        """Take `locks` (newly held) into account; what is blocked by all that is held.
        `select_blocked`: the tables among those tried now that a SELECT could not read."""
        for lock in locks:
            if lock.kind.is_index_or_toast and lock.table and lock.granted and not lock.new:
                self.dependents.setdefault(lock.table, set()).add(lock.mode)
            if lock.kind is RelKind.SEQUENCE and not lock.new and lock.granted:
                self.sequence_modes.add(lock.mode)
            if lock.granted and not lock.new:
                self.writer_stops += lock.mode.blocks_writes
                self.reader_stops += lock.mode.blocks_reads
        select_blocked: list[str] = []
        for table in tables_behind(locks):
            if self._settled(table):
                blocked = table in self.reads_blocked  # what the try would answer again
            else:
                blocked = self._try_table(probe, table)
                self.tried_at[table] = (self.writer_stops, self.reader_stops)
            if blocked:
                select_blocked.append(table)
        reads = bool(self.reads_blocked) or any(m.blocks_reads for m in self.sequence_modes)
        writes = bool(self.writes_blocked) or any(m.blocks_writes for m in self.sequence_modes)
        if self.unknown and not (reads or writes):
            return Blocking(None, None)
        return Blocking(
            reads,
            writes,
            tuple(select_blocked),
            tuple(sorted(self.reads_blocked)),
            tuple(sorted(self.writes_blocked)),
        )

    def _settled(self, table: str) -> bool:
        """Trying `table` again would answer what its last try did."""
        at = self.tried_at.get(table)
        if at is None or table in self.unknown:
            return False
        writers = table in self.writes_blocked or at[0] == self.writer_stops
        readers = table in self.reads_blocked or at[1] == self.reader_stops
        return writers and readers

    def _try_table(self, probe: psycopg.Connection, table: str) -> bool:
        """Try a reader and a writer of `table`; True if a SELECT could not read it."""
        for known in (self.reads_blocked, self.writes_blocked, self.unknown):
            known.discard(table)
        ident = relation_identifier(probe, table)
        read_ok, write_ok = _try_read_write(probe, ident)
        if write_ok is None and read_ok is None:
            self.unknown.add(table)
            return False
        if read_ok is False:
            self.reads_blocked.add(table)
            self.writes_blocked.add(table)
            return True
        if write_ok is False:
            self.writes_blocked.add(table)
        modes = self.dependents.get(table, set())
        timeout = SELECT_PROBE_TIMEOUT_MS
        select = queries.TRY_SELECT.format(relation=ident, timeout_ms=timeout)
        plan_write = queries.TRY_PLAN_WRITE.format(relation=ident, timeout_ms=timeout)
        blocked = False
        if any(m.blocks_reads for m in modes) and _try(probe, select) is False:
            self.reads_blocked.add(table)
            blocked = True
        if (
            table not in self.writes_blocked
            and any(m.blocks_writes for m in modes)
            and _try(probe, plan_write) is False
        ):
            self.writes_blocked.add(table)
        return blocked


def _try_read_write(probe: psycopg.Connection, ident: str) -> tuple[bool | None, bool | None]:
    """Would a reader, would a writer of the table get its lock: (reads ok, writes ok).

    A writer's ROW EXCLUSIVE conflicts with everything a reader's ACCESS SHARE does: if a
    writer gets in, so does a reader. One DO block asks both in one round trip; where it
    cannot run (PL/pgSQL dropped, no right to lock for writing), each is tried alone.
    """
    if queries.TRY_READ_WRITE_TAG not in ident:
        try:
            probe.execute(queries.TRY_READ_WRITE.format(relation=ident).encode())
            return True, True
        except errors.LockNotAvailable as exc:
            if exc.diag.message_primary == "reads":
                return False, False
            if exc.diag.message_primary == "writes":
                return True, False
        except psycopg.Error:
            pass
    write_ok = _try(probe, queries.TRY_LOCK.format(relation=ident, mode="ROW EXCLUSIVE"))
    if write_ok:
        return True, True
    return _try(probe, queries.TRY_LOCK.format(relation=ident, mode="ACCESS SHARE")), write_ok


def _try(probe: psycopg.Connection, query: str) -> bool | None:
    """True: it got through; False: it would have waited; None: it could not be tried."""
    try:
        probe.execute(query.encode())
        return True
    except (errors.LockNotAvailable, errors.QueryCanceled):
        return False
    except psycopg.Error:
        return None
    finally:
        with contextlib.suppress(psycopg.Error):
            if probe.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                probe.execute("ROLLBACK")


def tables_behind(locks: list[ObservedLock]) -> list[str]:
    """Existing tables whose reads or writes these locks could block."""
    out: list[str] = []
    for lock in locks:
        if lock.new or not lock.granted:
            continue
        table = (
            lock.relation if lock.kind.is_table_like or lock.kind is RelKind.VIEW else lock.table
        )
        if table and not table.startswith("(") and table not in out:
            out.append(table)
    return out


# ---- statements inside a transaction ---------------------------------------------------------


@dataclass
class _Transaction:
    """What the migration session's open transaction holds, as pgfence saw it so far.

    Everything here grows with what the transaction takes, once: each statement reads
    the backend's locks, keeps those not held before, and asks the catalogs only about
    relations it has not seen yet, or about what changed since.
    """

    # Every lock read from pg_locks after the last statement (`backend_lock_keys`).
    taken: set[str] = field(default_factory=set)
    # Relations as the probe session sees them, i.e. as before the transaction (an OID
    # asked for and absent did not exist then: the transaction created it).
    committed: dict[int, RelationFile] = field(default_factory=dict)
    asked: set[int] = field(default_factory=set)
    # Locked relations as the migration session saw them after the last statement; those
    # gone since (still locked under their old OID).
    seen: SeenRelations = field(default_factory=SeenRelations)
    gone: set[int] = field(default_factory=set)
    log: LockLog = field(default_factory=LockLog)
    blocking: BlockingMeasure = field(default_factory=BlockingMeasure)
    # pgfence took locks of its own since the last read (`TransactionalObserver.absorb`).
    unabsorbed: bool = False


# Up to this many locks held, the relations locked for the first time are read in the
# same query as the locks (every held one is looked up again, each time): one round trip
# less for a statement of a small transaction, where most statements lock something new.
FEW_LOCKS = 64


@dataclass
class TransactionalObserver:
    """Observe statements run inside the migration session's open transaction.

    No snapshot of the whole schema is taken: only relations the transaction holds a lock
    on can have been rewritten or created, and for those the probe session still sees the
    files they had before the transaction while the migration session sees the new ones.
    A statement reports the locks it acquired or strengthened; what the transaction held
    before it is referred to (`Observation.held_before`), not copied.
    """

    sessions: Sessions
    timeout_s: float
    cap: LockCap | None = None  # on an existing server: the longest lock wait allowed
    tx: _Transaction = field(default_factory=_Transaction)

    def observe(self, statement: Statement) -> tuple[Observation, Execution]:
        migration = self.sessions.migration
        if self.tx.unabsorbed:  # pgfence's own locks are held, not taken by this statement
            self.tx.unabsorbed = False
            tx = self.tx
            tx.log.extend(observed_locks(self._new_locks(), tx.seen.files, tx.committed, set()))
        execution = execute(migration, statement, self.timeout_s, self.sessions.watchdog, self.cap)
        return self.observed(execution), execution

    def observed(self, execution: Execution) -> Observation:
        """What the statement that just ran in the migration's session (as `execution`
        says) took, while its transaction is still open. The runner mode (`--runner`)
        calls this for statements a migration tool ran itself."""
        migration, probe = self.sessions.migration, self.sessions.probe
        if execution.error is not None:
            return Observation(
                duration_ms=execution.duration_ms,
                error=execution.error,
                waited_for_lock=execution.waited_for_lock,
            )
        tx = self.tx
        known = ChainMap(tx.seen.files, tx.committed)
        if (
            isinstance(migration, MigrationSession)
            and len(tx.seen.files) <= introspect.LOOKED_UP_UP_TO
        ):
            # The change check finds the relations locked for the first time itself: the
            # probe reads the locks meanwhile (one round trip's wait less a statement).
            now, gone, raw = changed_files_meanwhile(migration, tx.seen, known, self._new_locks)
            oids = _user_oids(raw)
        elif (
            isinstance(migration, MigrationSession)
            and len(tx.seen.files) <= introspect.PREPARED_UP_TO
        ):
            # What was seen is compared while the probe reads the locks; the relations
            # locked for the first time are asked after, on their own.
            now, gone, raw = changed_seen_meanwhile(
                migration, tx.seen, known, lambda raw: _user_oids(raw) - tx.gone, self._new_locks
            )
            oids = _user_oids(raw)
        else:
            raw = self._new_locks()
            oids = _user_oids(raw)
            now, gone = changed_files(migration, tx.seen, oids - tx.gone, known)
        baseline = self._baseline(now, gone, oids)
        # As the migration saw them before this statement: a table an earlier statement
        # of the transaction renamed is named as the migration now names it.
        prior = {oid: tx.seen.files.get(oid) for oid in oids}
        renamed = {
            known[oid].name: file.name
            for oid, file in now.items()
            if oid in known and known[oid].name != file.name
        }
        self._follow(now, gone)
        locks = observed_locks(raw, tx.seen.files, tx.committed, set(), names=prior)
        held_before = tx.log.held()
        tx.log.extend(locks)
        # A relation this statement renamed: what the transaction holds on it is found
        # under its new name by the statements after (they name it so).
        tx.log.alias(renamed)
        blocking = tx.blocking.measure(probe, locks)
        new_files = rewritten(baseline, now)
        return Observation(
            locks=tuple(locks),
            held_before=held_before,
            rewritten=tuple(dict.fromkeys(r.name for r in new_files)),
            rebuilt=_indexes(new_files),
            blocks_reads=blocking.reads,
            blocks_writes=blocking.writes,
            select_blocked=blocking.select_blocked,
            reads_blocked_on=blocking.reads_blocked_on,
            writes_blocked_on=blocking.writes_blocked_on,
            duration_ms=execution.duration_ms,
        )

    def _baseline(
        self, now: dict[int, RelationFile], gone: set[int], oids: set[int]
    ) -> dict[int, RelationFile]:
        """The files that the relations changed or gone in this statement had before it.

        The probe sees the files of before the transaction; an earlier statement of it may
        have changed them, as the migration session saw. A relation locked for the first
        time and already gone (dropped by this statement) had its file of before.
        """
        tx = self.tx
        baseline: dict[int, RelationFile] = {}
        for oid in [*now, *gone]:
            file = tx.seen.files.get(oid) or tx.committed.get(oid)
            if file is not None:
                baseline[oid] = file
        for oid in oids:
            if oid not in baseline and oid not in tx.seen.files and oid in tx.committed:
                baseline[oid] = tx.committed[oid]
        return baseline

    def _follow(self, now: dict[int, RelationFile], gone: set[int]) -> None:
        """Take what the migration session sees now as seen."""
        tx = self.tx
        seen = tx.seen.files
        renamed = {
            seen[oid].name: file.name
            for oid, file in now.items()
            if oid in seen and seen[oid].name != file.name
        }
        tx.seen.update(now)
        for oid in gone:
            tx.seen.discard(oid)
        tx.gone |= gone
        if renamed:  # an index or TOAST table whose table was renamed names it anew
            tx.seen.update(
                {
                    oid: dataclasses.replace(file, table=renamed[file.table])
                    for oid, file in seen.items()
                    if file.table in renamed and oid not in now
                }
            )

    def end_transaction(self) -> None:
        self.tx = _Transaction()

    def absorb(self) -> None:
        """pgfence itself just took locks in the transaction (the migration tool's row of
        bookkeeping): they are held from now on, not taken by the next statement. They are
        read before the next statement runs in this transaction, if one does: most often
        the transaction ends first (a tool that commits each migration with its row), and
        nothing is read. Only what is new is read (a re-read of everything held after each
        file cost 6 ms a file)."""
        self.tx.unabsorbed = True

    def _new_locks(self) -> list[RawLock]:
        """The locks the migration's backend took since the last read, with the relations
        locked for the first time in the transaction looked up as the probe sees them
        (as before the transaction: one it created is asked for and absent)."""
        tx, probe, pid = self.tx, self.sessions.probe, self.sessions.migration_pid
        files: dict[int, RelationFile] | None = None
        if len(tx.taken) <= FEW_LOCKS:
            taken, files = backend_lock_keys_with_files(probe, pid)
        else:
            taken = backend_lock_keys(probe, pid)
        raw = [lock for key in taken - tx.taken if (lock := raw_lock(key)) is not None]
        tx.taken = taken
        unasked = _user_oids(raw) - tx.asked
        if unasked:
            if files is None:
                files = relation_files(probe, unasked, prepare=True)
            tx.committed.update({oid: files[oid] for oid in unasked if oid in files})
            tx.asked |= unasked
        return raw

    def rolled_back_to_savepoint(self) -> None:
        """ROLLBACK TO SAVEPOINT released the locks taken since the savepoint and undid the
        files changed since: what is held and seen is read again, or the next statement's
        locks would count as held before and its files as rewritten."""
        probe, pid = self.sessions.probe, self.sessions.migration_pid
        raw, committed = backend_locks_with_files(probe, pid)
        oids = {lock.oid for lock in raw}
        now = relation_files(self.sessions.migration, oids)
        tx = _Transaction(
            taken=backend_lock_keys(probe, pid),
            committed=committed,
            asked={oid for oid in oids if oid >= FIRST_USER_OID},
            seen=SeenRelations(now),
            gone={oid for oid in oids if oid not in now and oid in self.tx.seen.files},
        )
        held = observed_locks(raw, now, committed, set())
        tx.log.extend(held)
        # What readers and writers get is tried again for everything held, at once.
        tx.blocking.measure(probe, held)
        self.tx = tx


def _user_oids(raw: list[RawLock]) -> set[int]:
    return {lock.oid for lock in raw if lock.oid >= FIRST_USER_OID}


# ---- statements that cannot run in a transaction block -----------------------------------------


@dataclass
class SampledObserver:
    """Run a statement in autocommit while the probe samples its backend's locks."""

    sessions: Sessions
    timeout_s: float

    def observe(
        self, statement: Statement, gate_tables: list[str]
    ) -> tuple[Observation, Execution]:
        migration = self.sessions.migration

        def run() -> Execution:
            return execute(migration, statement, self.timeout_s, self.sessions.watchdog)

        return self.sample(run, gate_tables)

    def sample(
        self, run: Callable[[], Execution], gate_tables: list[str]
    ) -> tuple[Observation, Execution]:
        """Sample the migration backend's locks while `run` (on a thread of its own) runs
        the statement and returns how it went: pgfence's own execution, or, in the runner
        mode, waiting for the migration tool's statement to complete. Autocommit: every
        session sees the same relations, so the probe reads them."""
        probe, pid = self.sessions.probe, self.sessions.migration_pid
        before = relation_files(probe)
        result: dict[str, Execution] = {}

        def worker_run() -> None:
            result["execution"] = run()

        samples: dict[tuple[int, LockMode], bool] = {}
        waited_on_others = waited_on_pgfence = False
        blocking: Blocking | None = None
        gate = _Gate(self.sessions.dsn, gate_tables, {f.name: oid for oid, f in before.items()})
        try:
            with _snapshot(self.sessions.dsn) as snapshot:
                # pgfence's own sessions: a wait for one of them is pgfence's doing.
                own = {snapshot.pid, probe.info.backend_pid, *gate.pids}
                worker = threading.Thread(target=worker_run, name="pgfence-statement", daemon=True)
                started = time.monotonic()
                worker.start()
                snapshot_open = True
                while worker.is_alive():
                    raw = backend_locks(probe, pid)
                    for lock in raw:
                        key = (lock.oid, lock.mode)
                        samples[key] = samples.get(key, False) or lock.granted
                    waiting_on = {lock.oid for lock in raw if not lock.granted}
                    waiting = bool(waiting_on) or _waiting(probe, pid)
                    elapsed = time.monotonic() - started
                    if not gate.closed:
                        if not gate.open_for(waiting_on) and elapsed > GATE_MAX_S:
                            gate.open_all()
                    elif waiting:
                        blockers = _blockers(probe, pid)
                        waited_on_others = waited_on_others or bool(blockers - own)
                        waited_on_pgfence = waited_on_pgfence or bool(blockers & own)
                        # Held until the wait for it is seen with the blocking measured
                        # during it (at most SNAPSHOT_HOLD_S): holding on after that only
                        # made each concurrent build last 0.2 s (outline: 21 of them, 4 s).
                        seen_waiting = snapshot.pid in blockers and blocking is not None
                        if snapshot_open and (seen_waiting or elapsed > SNAPSHOT_HOLD_S):
                            snapshot.release()
                            snapshot_open = False
                    if gate.closed and blocking is None and any(lock.granted for lock in raw):
                        blocking = self._blocking_now(raw, before)
                    if gate.closed and not snapshot_open:
                        worker.join(SAMPLE_INTERVAL_S)
                    else:
                        time.sleep(SAMPLE_INTERVAL_S)
                worker.join()
        finally:
            gate.open_all()
        execution = result["execution"]
        after = relation_files(probe)
        raw_all = [RawLock(oid, mode, granted) for (oid, mode), granted in samples.items()]
        locks = observed_locks(raw_all, after, before, set())
        # A lock only ever seen waiting was granted later (or the statement failed).
        locks = [
            ObservedLock(lock.relation, lock.mode, True, lock.kind, lock.table, lock.new)
            if execution.error is None
            else lock
            for lock in locks
        ]
        if blocking is None:
            held = {lock.mode for lock in locks if not lock.new}
            seen = [lock for lock in locks if not lock.new]
            blocking = Blocking(
                any(m.blocks_reads for m in held),
                any(m.blocks_writes for m in held),
                reads_blocked_on=tuple(
                    sorted({lk.relation for lk in seen if lk.mode.blocks_reads})
                ),
                writes_blocked_on=tuple(
                    sorted({lk.relation for lk in seen if lk.mode.blocks_writes})
                ),
            )
            measured = False
        else:
            measured = True
        return (
            Observation(
                locks=tuple(locks),
                rewritten=tuple(r.name for r in rewritten(before, after)),
                rebuilt=_indexes(rewritten(before, after)),
                blocks_reads=blocking.reads,
                blocks_writes=blocking.writes,
                select_blocked=blocking.select_blocked,
                reads_blocked_on=blocking.reads_blocked_on,
                writes_blocked_on=blocking.writes_blocked_on,
                blocking_measured=measured,
                duration_ms=execution.duration_ms,
                sampled=True,
                error=execution.error,
                waited_for_lock=waited_on_others or execution.waited_for_lock,
                waited_for_pgfence=waited_on_pgfence,
            ),
            execution,
        )

    def _blocking_now(self, raw: list[RawLock], before: dict[int, RelationFile]) -> Blocking | None:
        """Measure blocking while the statement holds `raw`; None if it let go meanwhile."""
        granted = [lock for lock in raw if lock.granted]
        now = relation_files(self.sessions.probe, {lock.oid for lock in granted})
        blocking = measure_blocking(
            self.sessions.probe, observed_locks(granted, now, before, set())
        )
        still = {
            (lock.oid, lock.mode)
            for lock in backend_locks(self.sessions.probe, self.sessions.migration_pid)
        }
        if not all((lock.oid, lock.mode) in still for lock in granted):
            return None  # it finished (or moved on) while we probed: the answer may be stale
        return blocking


def _indexes(files: list[RelationFile]) -> tuple[str, ...]:
    """The indexes among relations that got a new file: rebuilt, not rewritten tables."""
    return tuple(dict.fromkeys(f.name for f in files if f.relkind in ("i", "I")))


def _waiting(probe: psycopg.Connection, pid: int) -> bool:
    row = probe.execute(queries.BACKEND_WAITING, (pid,)).fetchone()
    return bool(row and row[0])


def _blockers(probe: psycopg.Connection, pid: int) -> set[int]:
    row = probe.execute(queries.BLOCKING_PIDS, (pid,)).fetchone()
    return set(row[0]) if row and row[0] else set()


GATE_MAX_TABLES = 8


class _Gate:
    """One session per target table, each holding it in EXCLUSIVE mode.

    EXCLUSIVE lets ACCESS SHARE through (VACUUM first looks the table up under it) and
    stops every stronger request, which then shows in pg_locks as not granted: that is how
    the mode a fast statement asks for is seen. Each table's gate opens as soon as the
    statement is seen waiting for it, so a statement that locks tables one after the
    other (REINDEX of a partitioned table) is seen asking for each.
    """

    def __init__(self, dsn: str, tables: list[str], oids: dict[str, int]) -> None:
        """Hold `tables`; `oids`: relation name -> OID (a table not in it does not exist)."""
        self.sessions: dict[int, psycopg.Connection] = {}
        for table in tables[:GATE_MAX_TABLES]:
            oid = oids.get(table)
            if oid is None:
                continue
            conn = connect(dsn, application_name="pgfence gate")
            try:
                conn.execute("BEGIN")
                ident = sql.SQL(relation_identifier(conn, table, oid))
                conn.execute(sql.SQL("LOCK TABLE ONLY {} IN EXCLUSIVE MODE NOWAIT").format(ident))
            except psycopg.Error:
                conn.close()
                continue
            self.sessions[oid] = conn

    @property
    def pids(self) -> set[int]:
        return {conn.info.backend_pid for conn in self.sessions.values()}

    @property
    def closed(self) -> bool:
        """True once every gate is open (the name reads: the gating is over)."""
        return not self.sessions

    def open_for(self, waiting_on: set[int]) -> bool:
        """Open the gates of the tables the statement waits for; True if any was."""
        released = [oid for oid in self.sessions if oid in waiting_on]
        for oid in released:
            self._release(oid)
        return bool(released)

    def open_all(self) -> None:
        for oid in list(self.sessions):
            self._release(oid)

    def _release(self, oid: int) -> None:
        conn = self.sessions.pop(oid)
        with contextlib.suppress(psycopg.Error):
            conn.execute("COMMIT")
        conn.close()


@dataclass
class _Snapshot:
    """The snapshot session: its backend pid, and how to end its transaction."""

    conn: psycopg.Connection

    @property
    def pid(self) -> int:
        return self.conn.info.backend_pid

    def release(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("COMMIT")


@contextlib.contextmanager
def _snapshot(dsn: str) -> Iterator[_Snapshot]:
    """An older transaction with a snapshot, which concurrent builds must wait out."""
    conn = connect(dsn, application_name="pgfence snapshot")
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SELECT 1")
        snapshot = _Snapshot(conn)
        yield snapshot
        snapshot.release()
    finally:
        conn.close()
