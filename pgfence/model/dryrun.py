"""The nouns only the dry-run and preflight make: what a statement was seen to take
(`Observation`), how that compares with the prediction (`Verdict`), the seeded rows and
duration estimates, the migration tool's own run, the version matrix's differences and
preflight's report. `pgfence.model` serves each of them on first use, so the static
analysis never imports this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from pgfence.model import Location, RelKind, VerdictKind
from pgfence.pg.locks import LockMode, blocked_by_any

# ---- dry-run side ---------------------------------------------------------------------


@dataclass(frozen=True)
class ObservedLock:
    relation: str
    mode: LockMode
    granted: bool = True
    kind: RelKind = RelKind.TABLE
    table: str | None = None
    new: bool = False
    # False when an earlier statement of the same transaction already held this lock (an
    # observation lists those in `held_before`, not in `locks`: this stays True there).
    acquired: bool = True


class LockLog:
    """The locks one transaction took, each once, in the order its statements took them.

    Append-only while the transaction runs, so what a statement found held is a prefix of
    it (`HeldLocks`): every statement of a long transaction refers to the one log instead
    of carrying a copy of everything held before it, which made a transaction of N
    statements cost N² in memory and in the report.
    """

    __slots__ = ("_locks", "_on")

    def __init__(self, locks: Iterable[ObservedLock] = ()) -> None:
        self._locks: list[ObservedLock] = []
        self._on: dict[str, list[int]] = {}  # relation -> positions of its locks
        self.extend(locks)

    def extend(self, locks: Iterable[ObservedLock]) -> None:
        for lock in locks:
            self._on.setdefault(lock.relation, []).append(len(self._locks))
            self._locks.append(lock)

    def alias(self, renamed: Mapping[str, str]) -> None:
        """Relations renamed (old name -> new): their locks are found under both names."""
        for old, new in renamed.items():
            if old in self._on:
                self._on[new] = sorted({*self._on.get(new, ()), *self._on[old]})

    def held(self) -> HeldLocks:
        """What the log holds now, as the next statement finds it held."""
        return HeldLocks(self, len(self._locks))

    def __len__(self) -> int:
        return len(self._locks)


@dataclass(frozen=True, eq=False)
class HeldLocks:
    """Locks an earlier statement of the same, still open, transaction took: the first
    `count` of `log` (which only grows past them)."""

    log: LockLog | None = None
    count: int = 0

    def __iter__(self) -> Iterator[ObservedLock]:
        locks = self.log._locks if self.log is not None else []
        return iter(locks[: self.count])

    def __len__(self) -> int:
        return self.count

    def on(self, relation: str) -> tuple[ObservedLock, ...]:
        """The locks held on `relation`."""
        if self.log is None:
            return ()
        positions = self.log._on.get(relation, ())
        return tuple(self.log._locks[i] for i in positions if i < self.count)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeldLocks) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))


NOTHING_HELD = HeldLocks()


@dataclass(frozen=True)
class StatementError:
    sqlstate: str | None
    message: str
    location: Location | None = None  # Postgres's error position mapped back to the file


@dataclass(frozen=True)
class Observation:
    # What the statement acquired or strengthened (a sampled statement: every lock seen).
    locks: tuple[ObservedLock, ...] = ()
    # What earlier statements of its transaction took and still held when it ran.
    held_before: HeldLocks = NOTHING_HELD
    rewritten: tuple[str, ...] = ()  # every relation that got a new file, indexes included
    rebuilt: tuple[str, ...] = ()  # the indexes among them: rebuilt, not rewritten tables
    # Measured by trying a conflicting lock from another session (None: not measured).
    blocks_reads: bool | None = None
    blocks_writes: bool | None = None
    # False when blocking was derived from the sampled lock modes rather than tried.
    blocking_measured: bool = True
    # Relations a real `SELECT … LIMIT 1` could not read (planner locks indexes too).
    select_blocked: tuple[str, ...] = ()
    # Per relation: the tables whose readers / writers were kept out (measured, or from
    # the sampled modes), so that "blocks reads" says of which relation.
    reads_blocked_on: tuple[str, ...] = ()
    writes_blocked_on: tuple[str, ...] = ()
    duration_ms: float = 0.0
    sampled: bool = False  # locks sampled while the statement ran outside a transaction
    ran: bool = True
    error: StatementError | None = None
    not_run_reason: str | None = None
    waited_for_lock: bool = False  # for a session of someone else's
    # For one of pgfence's own sessions: the snapshot it holds open for a moment to show a
    # concurrent build's wait for older transactions. A note on the row, never a finding.
    waited_for_pgfence: bool = False
    # How long each lock was held: ms from this statement until its transaction ended.
    held_ms: float | None = None
    # INVALID indexes a failed concurrent index build left on its table.
    invalid_indexes: tuple[str, ...] = ()
    # Not sent: the server would read the text differently from pgfence (why).
    refused: str | None = None
    # After it ran, the session was not in the transaction pgfence had opened (why): the
    # run stopped there.
    transaction_lost: str | None = None

    def blocks(self, wanted: LockMode) -> bool:
        locks = itertools.chain(self.locks, self.held_before)
        held = {lock.mode for lock in locks if not lock.new and lock.granted}
        return blocked_by_any(held, wanted)


@dataclass(frozen=True)
class RelationVerdict:
    relation: str
    predicted: LockMode | None
    observed: LockMode | None
    kind: VerdictKind


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    relations: tuple[RelationVerdict, ...] = ()
    reasons: tuple[str, ...] = ()  # every reason, in words, for people
    # What made it under-predicted, for the findings: locks and blocking (in words), and the
    # relations rewritten though no rewrite was predicted.
    unpredicted: tuple[str, ...] = ()
    unpredicted_rewrites: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerInfo:
    version: str  # full server version, e.g. "18.6"
    major: int
    backend: str  # embedded, local, docker, dsn


# ---- sizes and durations (--seed, --stats) ------------------------------------------------


@dataclass(frozen=True)
class SeededTable:
    """One table of the starting schema and the synthetic rows written into it."""

    relation: str
    rows: int  # rows it holds after seeding (0: not filled)
    target: int | None  # rows asked for (None: no size was known for it)
    production_rows: int | None = None  # from the stats, when given
    table_bytes: int = 0  # its heap after seeding
    filled: bool = True  # False: left as it was, for `note`'s reason
    note: str | None = None  # why fewer rows than asked, or why it was not filled


@dataclass(frozen=True)
class SeedSummary:
    """What --seed wrote, at the largest of the sizes measured."""

    tables: tuple[SeededTable, ...]
    seconds: float  # writing the rows (COPY), at this size
    scale: float | None  # --seed-scale: the fraction of the recorded sizes
    rows_per_table: int | None  # --seed-rows
    # The fractions of this size also seeded and run, for the estimates (1.0 is this one).
    sizes: tuple[float, ...] = (1.0,)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables if t.filled)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class DurationEstimate:
    """How long a statement that rewrites, scans or builds an index takes as tables grow."""

    relation: str  # the table whose size drives it
    work: str  # "rewrite", "scan", "index build" or "writes rows"
    # (rows of `relation`, milliseconds) measured at each seeded size, smallest first.
    measured: tuple[tuple[int, float], ...]
    production_rows: int | None  # the recorded size (None: no stats for it)
    expected_ms: float | None  # at production size
    low_ms: float | None  # the range the plausible growth models give
    high_ms: float | None
    exponent: float | None  # time ~ rows ** exponent, fitted on the measurements
    scaling: str  # in words: "linear in rows", "n log n (sort)", "does not grow with size"
    confidence: str  # "high", "medium" or "low"
    basis: tuple[str, ...] = ()  # why that confidence, and any correction applied


@dataclass(frozen=True)
class LockHold:
    """A lock on one relation, from the statement that took it until its transaction ended."""

    relation: str
    mode: LockMode  # the strongest held on it (its indexes folded in)
    blocks_reads: bool
    blocks_writes: bool
    since: Location  # the statement that took it
    until: Location | None  # the statement that ended the transaction (None: the same one)
    statements: int  # statements run while it was held
    held_ms: float  # at the seeded size (or on the empty schema)
    production_ms: float | None  # estimated at the recorded production size
    summary: str  # in plain words: "writes to orders blocked ≈ 40 s at production size"


@dataclass(frozen=True)
class ShardInfo:
    """Which part of the work a report covers (`--shard K/N`), for `pgfence report merge`."""

    index: int  # K, 1-based
    count: int  # N
    units: int  # work units of the whole run (files, or files sharing a transaction)
    inputs: str  # digest of every migration of the whole run: the shards must agree on it


@dataclass(frozen=True)
class ExtractionDifference:
    """`dryrun --runner --compare-static DIR`: where pgfence's static reading of a
    migration differs from what the migration tool really sent."""

    file: str
    line: int | None  # of the statement pgfence read (None: only the tool sent it)
    kind: str  # "differs", "not-read" (sent, not read statically), "not-sent", "not-run"
    static_sql: str | None = None
    sent_sql: str | None = None

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        if self.kind == "differs":
            return f"{where}: pgfence read {self.static_sql!r}; the tool sent {self.sent_sql!r}"
        if self.kind == "not-read":
            return f"{where}: the tool sent {self.sent_sql!r}, which pgfence did not read"
        if self.kind == "not-sent":
            return f"{where}: pgfence read {self.static_sql!r}, which the tool did not send"
        return f"{where}: the tool recorded no run of this migration"


@dataclass(frozen=True)
class RunnerOutcome:
    """`dryrun --runner CMD`: how the project's own migration tool ran against the
    throwaway server, through pgfence's proxy."""

    command: str
    exit_code: int | None  # None: killed (timeout, interrupted)
    timed_out: bool = False
    connections: int = 0  # connections it opened to the proxy
    output: str = ""  # its stdout and stderr, shortened (shown when it failed)
    # Its own statements (bookkeeping, advisory locks, catalog queries, SET, BEGIN …):
    # shown apart, never judged.
    own_statements: tuple[str, ...] = ()
    # The migrations named by its bookkeeping rows, in order.
    migrations: tuple[str, ...] = ()
    compared: bool = False  # --compare-static was given
    # What went wrong observing its statements (pgfence's fault: those went unobserved).
    faults: tuple[str, ...] = ()
    differences: tuple[ExtractionDifference, ...] = ()

    @property
    def failed(self) -> bool:
        return self.exit_code != 0 or self.connections == 0 or bool(self.faults)

    @property
    def problem(self) -> str | None:
        """Why the run failed because of the runner, in words (None: it did not)."""
        if self.timed_out:
            return "the runner was killed at --runner-timeout"
        if self.exit_code is None:
            return "the runner was stopped"
        if self.exit_code != 0:
            return f"the runner exited with code {self.exit_code}"
        if self.connections == 0:
            return "the runner never connected to the database pgfence gave it"
        if self.faults:
            return f"pgfence could not observe {len(self.faults)} request(s): {self.faults[0]}"
        return None


@dataclass(frozen=True)
class VersionDifference:
    """One statement that behaves differently on different Postgres versions."""

    location: Location
    sql: str
    # For each major: its behaviour in a few words (locks, rewrite, blocking, error).
    by_version: tuple[tuple[int, str], ...]


# ---- preflight: is now a good time? ------------------------------------------------------------


@dataclass(frozen=True)
class LockNeed:
    """A lock the migration will ask for on an existing relation (from the prediction)."""

    relation: str
    mode: LockMode
    location: Location  # the first statement that asks for it
    # CREATE INDEX CONCURRENTLY and the like also wait for every older transaction.
    waits_for_old_transactions: bool = False
    table: str | None = None  # for an index: its table (listed only when locked harder)


@dataclass(frozen=True)
class OtherSession:
    """A session (or prepared transaction) of the live server, as pg_stat_activity shows it."""

    pid: int | None  # None: a prepared transaction
    user: str | None
    application: str | None
    state: str | None  # active, idle in transaction, … ("prepared" for a prepared transaction)
    backend_type: str | None
    transaction_age_s: float | None
    query_age_s: float | None
    query: str  # its current or last query, shortened
    prepared_gid: str | None = None
    # Another role's session, whose state, query and times pg_stat_activity hides from a
    # role without pg_read_all_stats (its pid, user, application and locks stay visible).
    hidden: bool = False

    @property
    def label(self) -> str:
        if self.pid is None:
            return f"prepared transaction {self.prepared_gid or '?'}"
        who = "@".join(part for part in (self.user, self.application) if part)
        return f"pid {self.pid}" + (f" ({who})" if who else "")


@dataclass(frozen=True)
class Blocker:
    """A session the migration would wait for on one relation."""

    session: OtherSession
    relation: str
    mode: LockMode  # the mode it holds (granted) or waits for
    granted: bool  # False: it is already waiting, ahead of the migration in the queue
    needed: LockMode  # what the migration needs there, which conflicts with `mode`
    location: Location
    lasting: bool  # likely to hold on longer than the migration's lock_timeout
    why: str  # in words


@dataclass(frozen=True)
class TableTraffic:
    """What would queue behind the migration's lock on one table while it waits and runs."""

    relation: str
    mode: LockMode
    sessions_now: int  # other sessions holding or waiting for a lock on it right now
    scans_per_s: float | None  # sequential + index scans started per second (sampled)
    rows_written_per_s: float | None
    sample_s: float
    summary: str


@dataclass(frozen=True)
class PreflightReport:
    server: ServerInfo
    lock_timeout_ms: float  # 0: the migration would wait for ever
    lock_timeout_source: str  # "--lock-timeout", "the migration (line 3)", "the server"
    needs: tuple[LockNeed, ...]
    blockers: tuple[Blocker, ...]
    long_transactions: tuple[OtherSession, ...]
    traffic: tuple[TableTraffic, ...]
    reasons: tuple[str, ...]  # why now is not a good time (empty: it is)
    notes: tuple[str, ...] = ()
    pgfence_version: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.reasons)
