"""The nouns every stage of the pipeline shares.

sources -> Statement; analysis -> Prediction + Finding; dryrun -> Observation;
verdict -> Verdict; reporting renders a Report. All values are frozen; no I/O here.

The nouns only the dry-run and preflight make (observations, verdicts, seeding, the
runner's outcome, preflight's report) are in `model/dryrun.py`, imported the first time one
of them is asked for: `from pgfence.model import Observation` still works, and
`pgfence analyze` does not create their twenty-odd dataclasses at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

from pgfence.pg.locks import LockMode, conflicts

if TYPE_CHECKING:
    from pgfence.model.dryrun import (
        NOTHING_HELD,
        Blocker,
        DurationEstimate,
        ExtractionDifference,
        HeldLocks,
        LockHold,
        LockLog,
        LockNeed,
        Observation,
        ObservedLock,
        OtherSession,
        PreflightReport,
        RelationVerdict,
        RunnerOutcome,
        SeededTable,
        SeedSummary,
        ServerInfo,
        ShardInfo,
        StatementError,
        TableTraffic,
        Verdict,
        VersionDifference,
    )

__all__ = [
    "NOTHING_HELD",
    "Blocker",
    "DurationEstimate",
    "ExtractionDifference",
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
    "RunnerOutcome",
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


# The note on a row whose statement waited for pgfence's own snapshot session.
PGFENCE_WAIT_NOTE = "waited out an older transaction: pgfence's own"


class VerdictKind(StrEnum):
    CONFIRMED = "confirmed"
    OVER_PREDICTED = "over-predicted"  # we feared more than happened
    UNDER_PREDICTED = "under-predicted"  # the database took more: the dangerous case
    NOT_RUN = "not-run"


# What a dry-run on an existing server (--dsn) means for its traffic: every report of one
# says it, and so does the command line.
ROLLED_BACK_WARNING = (
    "on an existing server everything is rolled back, but each statement's locks are real "
    "while it runs: sessions using those tables wait for it (point --dsn at a staging copy, "
    "not production)"
)


# ---- the report -----------------------------------------------------------------------


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
class MatrixReport:
    """The same migrations dry-run on several Postgres versions."""

    reports: tuple[Report, ...]
    differences: tuple[VersionDifference, ...]

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports)


# What model/dryrun.py holds, served from here on first use (PEP 562).
_DRYRUN_NOUNS = frozenset(
    {
        "NOTHING_HELD",
        "Blocker",
        "DurationEstimate",
        "ExtractionDifference",
        "HeldLocks",
        "LockHold",
        "LockLog",
        "LockNeed",
        "ObservedLock",
        "Observation",
        "OtherSession",
        "PreflightReport",
        "RelationVerdict",
        "RunnerOutcome",
        "SeededTable",
        "SeedSummary",
        "ServerInfo",
        "ShardInfo",
        "StatementError",
        "TableTraffic",
        "Verdict",
        "VersionDifference",
    }
)


def __getattr__(name: str) -> Any:
    if name in _DRYRUN_NOUNS:
        from pgfence.model import dryrun

        return getattr(dryrun, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
