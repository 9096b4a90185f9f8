"""The nouns every stage of the pipeline shares.

sources -> Statement; analysis -> Prediction + Finding; dryrun -> Observation;
verdict -> Verdict; reporting renders a Report. All values are frozen; no I/O here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from pgfence.pg.locks import LockMode, blocked_by_any, conflicts

__all__ = [
    "Blocker",
    "DurationEstimate",
    "Finding",
    "HeldLocks",
    "Location",
    "LockHold",
    "LockLog",
    "LockMode",
    "LockNeed",
    "LockOnRelation",
    "MatrixReport",
    "Migration",
    "Observation",
    "ObservedLock",
    "OtherSession",
    "Prediction",
    "PreflightReport",
    "RelKind",
    "RelationVerdict",
    "Report",
    "SeedSummary",
    "SeededTable",
    "ServerInfo",
    "Severity",
    "ShardInfo",
    "Statement",
    "StatementError",
    "StatementReport",
    "TableTraffic",
    "Transaction",
    "TxScope",
    "Verdict",
    "VerdictKind",
    "VersionDifference",
]


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None


class TxScope(StrEnum):
    """How a statement is committed."""

    AUTOCOMMIT = "autocommit"  # on its own, committed as soon as it finishes
    EXPLICIT = "explicit"  # inside a BEGIN … COMMIT written in the migration
    RUNNER = "runner"  # the migration tool wraps the file (or the batch) in a transaction


@dataclass(frozen=True)
class Transaction:
    scope: TxScope
    # Statements with the same block number share one transaction (numbered per run);
    # None for autocommit statements.
    block: int | None = None


AUTOCOMMIT = Transaction(TxScope.AUTOCOMMIT)


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int  # 1-based, of the statement's first token
    column: int  # 1-based, in characters

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration, as the database will receive it."""

    sql: str  # the statement's own text, from its first token, without the final ';'
    location: Location
    transaction: Transaction = AUTOCOMMIT
    copy_data: str | None = None  # the data block of COPY … FROM stdin
    parse_error: str | None = None  # pglast's message, when the text does not parse
    ignored_rules: frozenset[str] = frozenset()  # from `-- pgfence-ignore: rule` comments
    origin: str | None = None  # for ORM formats: the call that produced it (op.add_column)
    # Why this text is never sent to a server: pgfence cannot be sure the server reads it
    # as the one statement pgfence read (it is refused, not guessed).
    refused: str | None = None
    # A '…' literal in it holds a backslash: it means what pgfence read only while the
    # server has standard_conforming_strings on.
    needs_standard_strings: bool = False
    # The values bound to its $1, $2, … as text (None: NULL or a binary value), for a
    # statement a migration tool sent through the extended protocol (`--runner`).
    parameters: tuple[str | None, ...] = ()
    # The pglast RawStmt.stmt node; parsed once by the source stage.
    node: Any = field(default=None, compare=False, repr=False, hash=False)

    @property
    def parsed(self) -> bool:
        return self.node is not None


class RelKind(StrEnum):
    TABLE = "table"
    PARTITIONED_TABLE = "partitioned table"
    INDEX = "index"
    PARTITIONED_INDEX = "partitioned index"
    SEQUENCE = "sequence"
    VIEW = "view"
    MATERIALIZED_VIEW = "materialized view"
    TOAST = "toast table"
    FOREIGN_TABLE = "foreign table"
    COMPOSITE_TYPE = "composite type"
    UNKNOWN = "relation"

    @classmethod
    def from_pg_relkind(cls, relkind: str) -> RelKind:
        return _PG_RELKINDS.get(relkind, cls.UNKNOWN)

    @property
    def is_index_or_toast(self) -> bool:
        """An index or a TOAST table: a relation that belongs to one table."""
        return self in (RelKind.INDEX, RelKind.PARTITIONED_INDEX, RelKind.TOAST)

    @property
    def is_table_like(self) -> bool:
        return self in (
            RelKind.TABLE,
            RelKind.PARTITIONED_TABLE,
            RelKind.MATERIALIZED_VIEW,
            RelKind.FOREIGN_TABLE,
        )


_PG_RELKINDS = {
    "r": RelKind.TABLE,
    "p": RelKind.PARTITIONED_TABLE,
    "i": RelKind.INDEX,
    "I": RelKind.PARTITIONED_INDEX,
    "S": RelKind.SEQUENCE,
    "v": RelKind.VIEW,
    "m": RelKind.MATERIALIZED_VIEW,
    "t": RelKind.TOAST,
    "f": RelKind.FOREIGN_TABLE,
    "c": RelKind.COMPOSITE_TYPE,
}


@dataclass(frozen=True)
class LockOnRelation:
    """A lock we predict on one relation."""

    relation: str  # schema-qualified, e.g. public.accounts
    mode: LockMode
    kind: RelKind = RelKind.TABLE
    # Why this relation is locked: "target", "referenced table", "index", "partition", …
    role: str = "target"
    # The table an index, TOAST table or owned sequence belongs to.
    table: str | None = None
    # Created by this migration's own (uncommitted) transaction: no one else can see it,
    # so its lock blocks nobody.
    new: bool = False

    @property
    def blocks_nobody(self) -> bool:
        return self.new


@dataclass(frozen=True)
class Prediction:
    locks: tuple[LockOnRelation, ...] = ()
    rewrites: tuple[str, ...] = ()  # relations whose data files are rewritten
    rebuilds: tuple[str, ...] = ()  # the indexes among them (REINDEX rebuilds, not rewrites)
    scans: tuple[str, ...] = ()  # tables read in full while the lock is held
    # The rows of the lock table (pg/locktable.py) this prediction came from.
    rows: tuple[str, ...] = ()
    # False when we do not know what this statement locks (opaque DO block, unknown kind).
    analysable: bool = True
    notes: tuple[str, ...] = ()
    # False when Postgres refuses to run the statement inside a transaction block.
    transactional: bool = True
    # Rows of the lock table the statement needs that the predicted major does not have
    # (the statement is refused there): data for the rules, where `notes` are for people.
    unavailable: tuple[str, ...] = ()
    # Relations the statement names that the known schema lacks, so that what else it
    # locks through them (partitions, referencing tables, cascades) is unknown.
    unknown: tuple[str, ...] = ()
    # The tables (and views) whose readers / writers its locks keep out: an index's lock
    # counts for its table, a partition's for its ancestors (a query of the parent reads
    # it). An ATTACH PARTITION keeps out the partition's readers, not the parent's.
    reads_blocked_on: tuple[str, ...] = ()
    writes_blocked_on: tuple[str, ...] = ()

    @property
    def rewrite(self) -> bool:
        return bool(self.rewrites)

    @property
    def table_scan(self) -> bool:
        return bool(self.scans)

    def _blocks(self, wanted: LockMode) -> bool:
        return any(not lock.blocks_nobody and wanted in conflicts(lock.mode) for lock in self.locks)

    @property
    def blocks_reads(self) -> bool:
        return self._blocks(LockMode.ACCESS_SHARE)

    @property
    def blocks_writes(self) -> bool:
        return self._blocks(LockMode.ROW_EXCLUSIVE)


@dataclass(frozen=True)
class Finding:
    rule: str  # kebab-case id, e.g. parse-error, add-column-volatile-default
    severity: Severity
    message: str
    location: Location
    recipe: tuple[str, ...] = ()  # safe-rewrite steps, runnable SQL with the user's names
    dynamic: bool = False  # raised from a dry-run observation rather than statically


@dataclass(frozen=True)
class Migration:
    """One migration file (or ORM migration) turned into statements."""

    path: str
    format: str  # "sql", "flyway", "prisma", "alembic", …
    statements: tuple[Statement, ...]
    findings: tuple[Finding, ...] = ()  # about the file: skipped meta-commands, gaps
    # `-- pgfence-ignore-file: rule` comments: (rule id, line of the comment).
    ignored_in_file: tuple[tuple[str, int], ...] = ()
    # ORM formats: the migration calls read, and those turned into SQL (0, 0 for SQL files).
    calls_seen: int = 0
    calls_extracted: int = 0


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


# The note on a row whose statement waited for pgfence's own snapshot session.
PGFENCE_WAIT_NOTE = "waited out an older transaction: pgfence's own"


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


class VerdictKind(StrEnum):
    CONFIRMED = "confirmed"
    OVER_PREDICTED = "over-predicted"  # we feared more than happened
    UNDER_PREDICTED = "under-predicted"  # the database took more: the dangerous case
    NOT_RUN = "not-run"


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


# What a dry-run on an existing server (--dsn) means for its traffic: every report of one
# says it, and so does the command line.
ROLLED_BACK_WARNING = (
    "on an existing server everything is rolled back, but each statement's locks are real "
    "while it runs: sessions using those tables wait for it (point --dsn at a staging copy, "
    "not production)"
)


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


# ---- the report -----------------------------------------------------------------------


@dataclass(frozen=True)
class ShardInfo:
    """Which part of the work a report covers (`--shard K/N`), for `pgfence report merge`."""

    index: int  # K, 1-based
    count: int  # N
    units: int  # work units of the whole run (files, or files sharing a transaction)
    inputs: str  # digest of every migration of the whole run: the shards must agree on it


@dataclass(frozen=True)
class StatementReport:
    statement: Statement
    prediction: Prediction
    findings: tuple[Finding, ...] = ()
    observation: Observation | None = None
    verdict: Verdict | None = None
    estimate: DurationEstimate | None = None  # --seed: its duration as tables grow

    @property
    def risk(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


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
class Report:
    pgfence_version: str
    pg_version: int  # the Postgres major the prediction is for
    statements: tuple[StatementReport, ...]
    findings: tuple[Finding, ...] = ()  # not tied to one statement (file-level)
    server: ServerInfo | None = None
    fail_on: Severity = Severity.HIGH
    command: str = "analyze"
    seeding: SeedSummary | None = None  # --seed: the synthetic rows the run started from
    lock_holds: tuple[LockHold, ...] = ()  # --seed: per relation, how long it was locked
    shard: ShardInfo | None = None  # --shard: the part of the run this report covers
    project: str | None = None  # --project: the [[tool.pgfence.project]] it is about
    runner: RunnerOutcome | None = None  # --runner: the migration tool's own run

    def all_findings(self) -> tuple[Finding, ...]:
        inner = tuple(f for s in self.statements for f in s.findings)
        return self.findings + inner

    @property
    def failing_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.all_findings() if f.severity >= self.fail_on)

    @property
    def under_predicted(self) -> tuple[StatementReport, ...]:
        return tuple(
            s
            for s in self.statements
            if s.verdict is not None and s.verdict.kind is VerdictKind.UNDER_PREDICTED
        )

    @property
    def failed(self) -> bool:
        runner_failed = self.runner is not None and self.runner.failed
        return bool(self.failing_findings or self.under_predicted or runner_failed)


@dataclass(frozen=True)
class VersionDifference:
    """One statement that behaves differently on different Postgres versions."""

    location: Location
    sql: str
    # For each major: its behaviour in a few words (locks, rewrite, blocking, error).
    by_version: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class MatrixReport:
    """The same migrations dry-run on several Postgres versions."""

    reports: tuple[Report, ...]
    differences: tuple[VersionDifference, ...]

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports)


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
