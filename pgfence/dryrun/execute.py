"""Running migrations' statements on a server and observing each: the work of a dry-run
in one database (`run_in_database`), from its starting schema (`prepare_schema`).

Transactions: a `BEGIN … COMMIT` written in the migration is kept (its locks accumulate;
each statement's `held_ms` says how long its locks were held until COMMIT); every other
statement runs in a transaction of its own that is committed on a throwaway server, so the
next statement sees its effect. On an existing server (`--dsn`) nothing is ever committed:
everything runs in one transaction that is rolled back at the end, whatever happens.
The entry point, which chooses between one run and seeded runs at several sizes, is
`runner.py`; `scaling.py` runs each size through this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from pglast import ast
from pglast.enums import TransactionStmtKind

from pgfence.analysis.analyze import StatementWalker, finish
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.policy import StatementFacts
from pgfence.analysis.rule import EMPTY, Statements, StatementWindow
from pgfence.analysis.statements import builds_index_concurrently
from pgfence.checks import RuleSettings
from pgfence.dryrun import ahead, bookkeeping, queries, replay
from pgfence.dryrun.findings import dynamic_findings
from pgfence.dryrun.guard import (
    STANDARD_STRINGS_OFF,
    ExistingServerGuard,
    standard_strings_on,
    transaction_lost,
)
from pgfence.dryrun.introspect import load_catalog
from pgfence.dryrun.probe import (
    Execution,
    SampledObserver,
    Sessions,
    TransactionalObserver,
    execute,
)
from pgfence.dryrun.servers.base import Server
from pgfence.dryrun.servers.privileged import Privileged
from pgfence.errors import BadInput, PgfenceError
from pgfence.model import (
    Finding,
    LockOnRelation,
    Migration,
    Observation,
    Severity,
    Statement,
    StatementError,
    StatementReport,
    TxScope,
)
from pgfence.pg.transactions import needs_transaction_block, runs_in_transaction
from pgfence.verdict import NOTHING_CARRIED, Carried, judge

if TYPE_CHECKING:  # seeding is imported only by seeded runs
    from pgfence.dryrun.seed import SeedRequest

Progress = Callable[[str], None]

_OPEN = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_END = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


@dataclass(frozen=True)
class DryRunOptions:
    statement_timeout_s: float = 60.0
    lock_timeout_s: float = 2.0  # only for existing servers (--dsn)
    schema_file: str | None = None
    schema_from: str | None = None
    replay_before: Sequence[Migration] = ()
    skip_missing_extensions: bool = False
    isolate: bool = False  # each migration file in its own copy of the template
    # On a shared throwaway server: run in a fresh database of this name (else the server's
    # default database, which a server started for one dry-run has to itself).
    database: str | None = None
    fail_on: Severity = Severity.HIGH
    settings: RuleSettings = field(default_factory=RuleSettings)
    # --seed: fill the starting schema with synthetic rows, run at several sizes and
    # estimate durations at production size (scaling.py); throwaway servers only.
    seed: SeedRequest | None = None
    # After a migration fails, run the later ones anyway (a migration tool stops there).
    keep_going: bool = False
    # --shard: the migrations of the shards before this one. They are applied without
    # being observed, after the starting schema, and the prediction's catalog follows their
    # statements as the unsharded run's would have (see `_apply_earlier_shards`).
    applied_before: Sequence[Migration] = ()


@dataclass
class _Start:
    """Where a run starts when earlier shards' migrations were applied before it."""

    catalog: Catalog
    statements: int  # statements those migrations had: the run's statement count goes on
    recorded: dict[str, int]  # rows they wrote in their tool's table, per format


# SQLSTATEs of a missing table, column, object, schema or function.
_UNDEFINED = frozenset({"42P01", "42703", "42704", "3F000", "42883"})
EMPTY_START = (
    "the dry-run started from an empty database: give it the schema these migrations "
    "expect (--schema dump.sql, --schema-from DSN, or --replay-before for the migrations "
    "before the first one given)"
)


def on_throwaway(
    server: Server, migrations: Sequence[Migration], options: DryRunOptions, say: Progress
) -> tuple[list[StatementReport], list[Finding]]:
    """Run on a server we started: prepare the starting schema, then run the groups.

    One group (the default) runs in one database: the server's own, or a fresh one named
    by `options.database` when the server is shared. With `isolate`, the schema is built
    once in a template database and every migration file runs in its own copy of it
    (CREATE DATABASE costs a fifth of a second, so copies are made only when needed).
    """
    start = None
    if options.isolate:
        # Each file starts from the starting schema alone: earlier shards change nothing.
        template = replay.create_template(server)
        prepare_schema(server, server.dsn(template), options, say)
        targets = [
            (replay.clone(server, template, f"pgfence_run_{n}"), [m])
            for n, m in enumerate(migrations, 1)
        ]
    else:
        if options.database is not None:
            replay.create_database(server, options.database)
        dsn = server.dsn(options.database)
        prepare_schema(server, dsn, options, say)
        start = _apply_earlier_shards(server, dsn, options, say)
        targets = [(dsn, list(migrations))]
    reports: list[StatementReport] = []
    findings: list[Finding] = []
    for dsn, group in targets:
        group_reports, group_findings = observe_existing(server, dsn, group, options, say, start)
        reports.extend(group_reports)
        findings.extend(group_findings)
    return reports, findings


def run_in_database(
    server: Server,
    dsn: str,
    migrations: Sequence[Migration],
    options: DryRunOptions,
    say: Progress | None = None,
) -> tuple[list[StatementReport], list[Finding]]:
    """Observe `migrations`, in order, in the database at `dsn` of a throwaway server.

    The policies and the ignore comments see each file whole, so a group is complete.
    """
    return observe_existing(server, dsn, migrations, options, say or (lambda _message: None))


def observe_existing(
    server: Server,
    dsn: str,
    migrations: Sequence[Migration],
    options: DryRunOptions,
    say: Progress,
    start: _Start | None = None,
) -> tuple[list[StatementReport], list[Finding]]:
    """Open the sessions, run every statement in order, judge; on an existing server all
    of it inside one transaction, rolled back whatever happens."""
    sessions = Sessions.open(dsn)
    # On a server pgfence started the migration runs as a role that is no superuser; a
    # CREATE EXTENSION of an untrusted extension is done by the superuser (privileged.py).
    privileged = Privileged(server.superuser_dsn(dsn) if server.throwaway else None)
    run: _Run | None = None
    try:
        guard = None
        recorder = None
        if server.throwaway:
            # The migration tool's own table, as the tool creates and writes it.
            for table in bookkeeping.create(dsn, migrations):
                say(f"created the migration tool's table {table}")
            recorder = bookkeeping.Recorder(sessions.migration)
            if start is not None:
                recorder.count.update(start.recorded)  # the earlier shards' rows come first
        if not server.throwaway:
            # One transaction, rolled back; caps set on the server side too (guard.py).
            guard = ExistingServerGuard(
                sessions, options.lock_timeout_s, options.statement_timeout_s, server.major
            )
            guard.begin()
        run = _Run(
            sessions,
            load_catalog(sessions.migration) if start is None else start.catalog,
            server.major,
            options,
            throwaway=server.throwaway,
            say=say,
            guard=guard,
            privileged=privileged,
            recorder=recorder,
        )
        run.walker.index = start.statements if start is not None else 0
        if (
            server.throwaway
            and sum(len(m.statements) for m in migrations) >= ahead.AHEAD_FROM
            and ahead.safe_to_fork()
        ):
            run.ahead = ahead.Ahead(migrations, run.walker)
        for migration in migrations:
            say(f"dry-running {migration.path}{'' if server.throwaway else ' (rolled back)'}")
            run.migration(migration)
        run.finish()
        return finish(run.reports, run.facts, migrations, options.settings)
    finally:
        if run is not None and run.ahead is not None:
            run.ahead.close()
        if not server.throwaway:
            with contextlib.suppress(psycopg.Error):
                sessions.migration.execute("ROLLBACK")
        sessions.close()
        privileged.__exit__(None, None, None)


def prepare_schema(server: Server, dsn: str, options: DryRunOptions, say: Progress) -> None:
    """Build the starting schema in the database at `dsn` (scaling.py does too, on the
    template of its seeded copies)."""
    label = f" on PostgreSQL {server.version} ({server.backend})"
    schema_file = options.schema_file
    dumped = None
    try:
        if options.schema_from:
            say("dumping the schema of --schema-from")
            bin_dirs = [server.bin_dir] if server.bin_dir else []
            dumped = schema_file = replay.dump_schema(options.schema_from, bin_dirs)
        if schema_file:
            say(f"replaying {options.schema_file or 'the dumped schema'}")
            replayed = replay.replay_dump(
                dsn,
                schema_file,
                skip_missing_extensions=options.skip_missing_extensions,
                server_label=label,
                superuser_dsn=server.superuser_dsn(dsn),
            )
            for skipped in replayed.skipped:
                say(skipped)
        if options.replay_before:
            say(f"applying {len(options.replay_before)} earlier migration(s) without observing")
            replay.replay_migrations(
                dsn,
                options.replay_before,
                server_label=label,
                superuser_dsn=server.superuser_dsn(dsn),
            )
    finally:
        if dumped:
            with contextlib.suppress(OSError):
                os.unlink(dumped)


def _apply_earlier_shards(
    server: Server, dsn: str, options: DryRunOptions, say: Progress
) -> _Start | None:
    """Apply the earlier shards' migrations, unobserved, on top of the starting schema.

    The catalog is read before they run and then follows their statements, exactly as the
    unsharded run's catalog followed them while it observed them: reading it after them
    would know more (a column's real type where the unsharded run had only the statement)
    and could predict differently. A migration of theirs that fails stops the shard: the
    unsharded run would have gone on differently from there (exit 2, run it unsharded).
    """
    earlier = options.applied_before
    if not earlier:
        return None
    with psycopg.connect(dsn, autocommit=True) as conn:
        catalog = load_catalog(conn)
    walker = StatementWalker(catalog, server.major, options.settings)
    for migration in earlier:
        for statement in migration.statements:
            walker.follow(statement)
    say(f"applying the {len(earlier)} migration(s) of the earlier shards without observing")
    # The tool's own table first, as the unsharded run has it from the start (harbor's
    # 0030 alters golang-migrate's), and their rows in it afterwards.
    bookkeeping.create(dsn, earlier)
    try:
        replay.replay_migrations(
            dsn,
            earlier,
            server_label=f" on PostgreSQL {server.version} ({server.backend})",
            superuser_dsn=server.superuser_dsn(dsn),
        )
    except PgfenceError as exc:
        raise BadInput(
            f"--shard: a migration of an earlier shard does not apply cleanly ({exc}); "
            "the unsharded run would go on differently from there: run this history unsharded"
        ) from exc
    with psycopg.connect(dsn, autocommit=True) as conn:
        recorder = bookkeeping.Recorder(conn)
        for migration in earlier:
            recorder.record(migration)
        recorded = dict(recorder.count)
    return _Start(catalog, walker.index, recorded)


@dataclass
class _Transaction:
    """The migration session's open transaction as pgfence follows it, in psycopg's shape:
    one transaction (the migration's own `BEGIN … COMMIT`, or the one a migration tool
    wraps around its files), its statements, and a stack of named savepoints."""

    # Inside the migration's own BEGIN … COMMIT.
    explicit: bool = False
    # The transaction block a migration tool wraps around the file (or several files),
    # opened by us as the tool would: statements of that block run in it.
    runner_block: int | None = None
    # Report indexes of the statements run in it, in order.
    statements: list[int] = field(default_factory=list)
    # What the locks predicted for them mean for the next statement's verdict (they are
    # still held): immutable, so a statement's verdict, judged once the run is over,
    # reads what it was when the statement ran.
    carried: Carried = NOTHING_CARRIED

    def carry(self, locks: Iterable[LockOnRelation]) -> None:
        self.carried = self.carried.plus(locks)

    # Its savepoints, in order: (name, len(statements) when made).
    savepoints: list[tuple[str, int]] = field(default_factory=list)
    # The same statements, as the rules see them.
    window: Statements = field(default_factory=Statements)

    @property
    def open(self) -> bool:
        """A transaction block is open (the migration's, or the tool's)."""
        return self.explicit or self.runner_block is not None

    def ran(self, index: int, statement: Statement) -> None:
        self.statements.append(index)
        self.window.append(statement)

    def ended(self) -> None:
        """The session's transaction is over (or, AND CHAIN, the next one begun): its
        statements, locks and savepoints with it. Which block is open is the caller's."""
        self.statements, self.carried, self.savepoints = [], NOTHING_CARRIED, []
        self.window = Statements()

    def close(self) -> None:
        """No transaction block is open any more."""
        self.explicit, self.runner_block = False, None

    def savepoint(self, name: str) -> None:
        self.savepoints.append((name, len(self.statements)))

    def release(self, name: str) -> None:
        """RELEASE: the savepoint and every one made after it go."""
        at = self._last(name)
        if at is not None:
            del self.savepoints[at:]

    def rollback_to(self, name: str, reports: Sequence[StatementReport]) -> list[int] | None:
        """ROLLBACK TO: the savepoint stays, those after it go, and so do the statements run
        since (returned: their locks are released); None for a savepoint not known."""
        at = self._last(name)
        if at is None:
            return None
        del self.savepoints[at + 1 :]
        since = self.savepoints[at][1]
        undone, self.statements = self.statements[since:], self.statements[:since]
        self.window = Statements(reports[i].statement for i in self.statements)
        self.carried = NOTHING_CARRIED
        for i in self.statements:
            self.carry(reports[i].prediction.locks)
        return undone

    def _last(self, name: str) -> int | None:
        names = [n for n, _ in self.savepoints]
        return len(names) - 1 - names[::-1].index(name) if name in names else None


class _Run:
    """One database copy, its sessions, and the statements run in it, in order."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        major: int,
        options: DryRunOptions,
        *,
        throwaway: bool,
        say: Progress,
        guard: ExistingServerGuard | None = None,
        privileged: Privileged | None = None,
        recorder: bookkeeping.Recorder | None = None,
    ) -> None:
        self.sessions = sessions
        self.recorder = recorder
        self.guard = guard
        self.privileged = privileged
        self.options = options
        self.throwaway = throwaway
        self.say = say
        # What the migrations do to the schema, followed statement by statement.
        self.walker = StatementWalker(catalog, major, options.settings)
        # The analyses made ahead in a forked process, while it has them (ahead.py).
        self.ahead: ahead.Ahead | None = None
        self.transactional = TransactionalObserver(
            sessions, options.statement_timeout_s, cap=guard.lock_cap if guard else None
        )
        self.sampled = SampledObserver(sessions, options.statement_timeout_s)
        self.reports: list[StatementReport] = []
        self.facts: list[StatementFacts] = []  # one per report, for the policies
        # One per report: what its transaction carried when it ran, for its verdict.
        self.held_before: list[Carried] = []
        self.tx = _Transaction()  # the migration session's open transaction
        # A tool's transaction that failed, and where: its other statements never run.
        self.failed_block: tuple[int, str] | None = None
        self.broken = False  # an existing server's transaction failed: nothing more runs
        # Where the first migration that failed failed: a tool applies none after it.
        self.stopped: str | None = None

    def migration(self, migration: Migration) -> None:
        failed: str | None = None
        earlier = self.stopped
        # A tool applies none after a migration that failed; plain SQL files are each
        # their own psql run.
        if earlier is not None and not self.options.keep_going and migration.format != "sql":
            failed = (
                f"not applied: the migration tool stops at the migration that failed "
                f"({earlier}); --keep-going runs the rest"
            )
        in_file = Statements(migration.statements)
        for position, statement in enumerate(migration.statements):
            report, facts = self._analyse(statement, in_file.window(position + 1))
            tx = statement.transaction
            if (
                self.failed_block is not None
                and tx.scope is TxScope.RUNNER
                and tx.block == self.failed_block[0]
            ):
                failed = (
                    failed or f"the migration tool's transaction failed at {self.failed_block[1]}"
                )
            if failed is not None or self.broken:
                reason = failed or "an earlier statement failed in the dry-run's transaction"
                self._add(report, facts, Observation(ran=False, not_run_reason=reason))
                continue
            observation = self._execute(statement, report)
            if observation.error is not None and earlier is not None:
                observation = dataclasses.replace(
                    observation,
                    not_run_reason=f"may be a consequence of the failure at {earlier}",
                )
            elif observation.error is not None and self._empty_start(observation.error):
                observation = dataclasses.replace(observation, not_run_reason=EMPTY_START)
            self._add(report, facts, observation)
            if observation.error is not None:
                if self.stopped is None:
                    self.stopped = f"{Path(statement.location.file).name}:{statement.location.line}"
                failed = (
                    f"an earlier statement of this file failed (line {statement.location.line})"
                )
                if tx.scope is TxScope.RUNNER and tx.block is not None:
                    where = f"{Path(statement.location.file).name}:{statement.location.line}"
                    self.failed_block = (tx.block, where)
                self._after_failure()
        if self.tx.explicit and self.throwaway:
            # The file ended inside BEGIN without COMMIT: psql would roll it back at exit.
            self._end_transaction(commit=False)
        ran_through = failed is None and not self.broken
        if ran_through and self.recorder is not None and self.recorder.record(migration):
            # The tool's locks on its table are now held: taken by no statement of its.
            self.transactional.absorb()

    def finish(self) -> None:
        if self.throwaway and self.tx.runner_block is not None:
            self._end_transaction(commit=True)  # the tool commits at the end of its run
        elif self.throwaway and self.tx.statements:
            self._end_transaction(commit=False)
        self._assemble()

    def _empty_start(self, error: StatementError) -> bool:
        """The run's first failure names something missing, and it started from nothing."""
        return (
            self.stopped is None
            and self.throwaway
            and error.sqlstate in _UNDEFINED
            and not (self.options.schema_file or self.options.schema_from)
            and not self.options.replay_before
        )

    # ---- one statement ---------------------------------------------------------------------

    def _analyse(
        self, statement: Statement, following: StatementWindow
    ) -> tuple[StatementReport, StatementFacts]:
        # The statements before it in the transaction it will run in: none when the tool's
        # transaction it follows is committed first (_follow_runner), as `analyze` has it.
        earlier = EMPTY if self._leaves_runner_block(statement) else self.tx.window.window()
        made = self.ahead.take(statement, earlier) if self.ahead is not None else None
        if made is not None:
            analysis = made
        else:
            analysis = self.walker.analyse(statement, earlier, following)
            self.walker.follow(statement)
        return StatementReport(statement, analysis.prediction, analysis.findings), analysis.facts

    def _execute(self, statement: Statement, report: StatementReport) -> Observation:
        # A statement of a SQL file that does not parse runs too (pglast parses what
        # PostgreSQL 18 does): the server's own error, with its position, fails it, and the
        # rest of the file is not run, as for any statement that fails. One that an ORM
        # call was turned into is not sent: the fault may be pgfence's reading of the call.
        node = statement.node
        if statement.refused is not None:  # its parse-error finding says why
            return Observation(ran=False, not_run_reason=statement.refused)
        if statement.needs_standard_strings and not standard_strings_on(self.sessions.migration):
            return Observation(
                ran=False, not_run_reason=STANDARD_STRINGS_OFF, refused=STANDARD_STRINGS_OFF
            )
        if node is None and (statement.parse_error is None or statement.origin is not None):
            return Observation(ran=False, not_run_reason="does not parse")
        if self.guard is not None:
            reason = self.guard.refusal(statement)
            if reason is not None:
                return Observation(ran=False, not_run_reason=reason)
        if self.throwaway:
            self._follow_runner(statement)
        if self.privileged is not None and self.privileged.needs(node, self.sessions.migration):
            return self._as_superuser(statement, node)
        if isinstance(node, ast.TransactionStmt):
            return self._transaction_control(statement, node)
        transactional = report.prediction.transactional and runs_in_transaction(node)
        in_transaction = self.tx.open
        # (the --dsn run never follows the file's own BEGIN … COMMIT: the file says)
        outside = (
            not in_transaction
            if self.throwaway
            else statement.transaction.scope is TxScope.AUTOCOMMIT
        )
        if outside and needs_transaction_block(node):
            return self._outside_a_block(statement)
        if not transactional and not in_transaction:
            if not self.throwaway:
                return Observation(
                    ran=False,
                    not_run_reason="cannot run inside a transaction: pgfence only runs it on "
                    "servers it started (the --dsn run is one transaction, rolled back)",
                )
            observation, _ = self.sampled.observe(statement, gate_tables(report))
            if observation.error is not None and builds_index_concurrently(node):
                observation = dataclasses.replace(
                    observation, invalid_indexes=self._invalid_indexes(report)
                )
            return observation
        wrapped = not in_transaction and self.throwaway
        if wrapped:
            self.sessions.migration.execute("BEGIN")
        observation, execution = self.transactional.observe(statement)
        self.tx.ran(len(self.reports), statement)
        lost = self._transaction_lost()
        if lost is not None:
            self.broken = True  # nothing more runs: pgfence no longer knows where it is
            return dataclasses.replace(observation, transaction_lost=lost)
        if self.guard is not None and execution.error is None:
            self.guard.reassert()
        if wrapped and execution.error is None:
            observation = self._commit_single(observation, statement)
        return observation

    def _transaction_lost(self) -> str | None:
        """The statement ran in a transaction pgfence opened or followed: is it still open?
        (A statement cannot end it when sent alone through the extended protocol; this is
        the check that says so on every statement, rather than trusting it.)"""
        if self.guard is not None:
            return self.guard.transaction_lost()
        return transaction_lost(self.sessions.migration, "the transaction this statement ran in")

    def _as_superuser(self, statement: Statement, node: ast.Node) -> Observation:
        """CREATE EXTENSION of an extension the migration's role may not create: the
        superuser creates it (and commits it at once, outside the migration's transaction),
        as a DBA would before the application's migrations run. Not observed."""
        assert self.privileged is not None
        start = time.perf_counter()
        try:
            self.privileged.run(node, self.sessions.migration)
        except psycopg.Error as exc:
            message = exc.diag.message_primary or type(exc).__name__
            error = StatementError(exc.sqlstate, message, statement.location)
            return Observation(duration_ms=(time.perf_counter() - start) * 1000, error=error)
        return Observation(duration_ms=(time.perf_counter() - start) * 1000)

    def _outside_a_block(self, statement: Statement) -> Observation:
        """A statement Postgres refuses outside a transaction block, written outside one:
        on a server we started it runs as psql would run it, on its own, and fails there."""
        if not self.throwaway:
            return Observation(
                ran=False,
                not_run_reason="outside a transaction block Postgres refuses it, but the "
                "--dsn run is one transaction: run it on a server pgfence starts",
            )
        result = self._execute_alone(statement)
        return Observation(duration_ms=result.duration_ms, error=result.error)

    def _execute_alone(self, statement: Statement) -> Execution:
        """Run a statement in the migration's session as it stands, not observed."""
        return execute(
            self.sessions.migration,
            statement,
            self.options.statement_timeout_s,
            self.sessions.watchdog,
        )

    def _invalid_indexes(self, report: StatementReport) -> tuple[str, ...]:
        """INVALID indexes on the tables a failed concurrent build worked on."""
        found: list[str] = []
        for table in gate_tables(report):
            with contextlib.suppress(psycopg.Error):
                rows = self.sessions.probe.execute(queries.INVALID_INDEXES, (table,)).fetchall()
                found.extend(str(row[0]) for row in rows)
        return tuple(dict.fromkeys(found))

    def _leaves_runner_block(self, statement: Statement) -> bool:
        """Does the migration tool commit its open transaction before `statement` runs?"""
        tx = statement.transaction
        return (
            self.throwaway
            and self.tx.runner_block is not None
            and (tx.scope is not TxScope.RUNNER or tx.block != self.tx.runner_block)
        )

    def _follow_runner(self, statement: Statement) -> None:
        """Open and commit the migration tool's transactions as the tool would."""
        tx = statement.transaction
        in_block = tx.scope is TxScope.RUNNER
        if self._leaves_runner_block(statement):
            self._end_transaction(commit=True)
        if in_block and self.tx.runner_block is None and not self.tx.explicit:
            self.sessions.migration.execute("BEGIN")
            self.tx.runner_block = tx.block
            self._transaction_ended()

    def _commit_single(self, observation: Observation, statement: Statement) -> Observation:
        try:
            self.sessions.migration.execute("COMMIT")
        except psycopg.Error as exc:  # a deferred constraint or trigger: the statement fails
            self._transaction_ended()
            return dataclasses.replace(observation, error=_commit_error(exc, statement))
        self._transaction_ended()
        return dataclasses.replace(observation, held_ms=observation.duration_ms)

    def _transaction_control(self, statement: Statement, node: ast.TransactionStmt) -> Observation:
        if not self.throwaway:
            return Observation(
                ran=False,
                not_run_reason=(
                    "transaction control is pgfence's on an existing server: the whole dry-run is "
                    "one transaction, rolled back"
                ),
            )
        result = self._execute_alone(statement)
        observation = Observation(duration_ms=result.duration_ms, error=result.error)
        if result.error is not None:
            return observation
        in_transaction = self.tx.open
        if node.kind in _END and in_transaction:
            # COMMIT / ROLLBACK end the transaction (inside the tool's, BEGIN only warns);
            # AND CHAIN starts the next one at once.
            self._record_hold_times()
            if not node.chain:
                self.tx.close()
            self._transaction_ended()
        elif node.kind in _OPEN and not in_transaction:
            self.tx.explicit = True
            self._transaction_ended()
        elif in_transaction:
            self._savepoint(node)
        return observation

    def _savepoint(self, node: ast.TransactionStmt) -> None:
        """SAVEPOINT, RELEASE, ROLLBACK TO: locks taken after a savepoint are released when
        the transaction rolls back to it, so those statements' hold times end there."""
        name = node.savepoint_name or ""
        if node.kind is TransactionStmtKind.TRANS_STMT_SAVEPOINT:
            self.tx.savepoint(name)
            return
        if node.kind is TransactionStmtKind.TRANS_STMT_RELEASE:
            self.tx.release(name)
        elif node.kind is TransactionStmtKind.TRANS_STMT_ROLLBACK_TO:
            undone = self.tx.rollback_to(name, self.reports)
            if undone is not None:
                self._record_hold_times(undone)
            self.transactional.rolled_back_to_savepoint()  # whatever pgfence knew of it

    def _record_hold_times(self, statements: list[int] | None = None) -> None:
        """Each statement's locks were held from its start until the transaction ended (or
        rolled back to a savepoint made before it): `statements`, the open transaction's
        by default."""
        held_by = self.tx.statements if statements is None else statements
        durations = [_duration(self.reports[i].observation) for i in held_by]
        for position, i in enumerate(held_by):
            report = self.reports[i]
            if report.observation is None or not report.observation.ran:
                continue
            held = sum(durations[position:])
            self.reports[i] = dataclasses.replace(
                report, observation=dataclasses.replace(report.observation, held_ms=held)
            )

    def _end_transaction(self, *, commit: bool) -> None:
        try:
            self.sessions.migration.execute("COMMIT" if commit else "ROLLBACK")
        except psycopg.Error as exc:
            if commit:  # the tool's COMMIT failed: its transaction's last statement did
                self._commit_failed(exc)
                commit = False
        if commit:
            self._record_hold_times()
        self.tx.close()
        self._transaction_ended()

    def _commit_failed(self, exc: psycopg.Error) -> None:
        """Report a failed COMMIT of the tool's transaction on its last statement that ran."""
        for i in reversed(self.tx.statements):
            report = self.reports[i]
            observation = report.observation
            if observation is None or not observation.ran or observation.error is not None:
                continue
            failed = dataclasses.replace(observation, error=_commit_error(exc, report.statement))
            self.reports[i] = dataclasses.replace(report, observation=failed)
            return

    def _transaction_ended(self) -> None:
        """The migration session's transaction is over: its locks and statements with it."""
        self.transactional.end_transaction()
        self.tx.ended()

    def _after_failure(self) -> None:
        if not self.throwaway:
            self.broken = True
            return
        # A failed statement aborts its transaction: roll it back so the next file can run.
        self._end_transaction(commit=False)

    def _add(
        self, report: StatementReport, facts: StatementFacts, observation: Observation
    ) -> None:
        # What the transaction held before it, for its verdict (judged in `finish`).
        self.held_before.append(self.tx.carried)
        self.reports.append(dataclasses.replace(report, observation=observation))
        self.facts.append(facts)
        if self.tx.statements and self.tx.statements[-1] == len(self.reports) - 1:
            self.tx.carry(report.prediction.locks)

    def _assemble(self) -> None:
        """Each statement's report made whole, once the run is over and every observation
        final (hold times, a COMMIT that failed after it): its verdict, judged once from
        what its transaction held before it, and what the observation shows."""
        for i, report in enumerate(self.reports):
            verdict = judge(report.prediction, report.observation, self.held_before[i])
            judged = dataclasses.replace(report, verdict=verdict)
            more = dynamic_findings(judged, self.facts[i], self.options.settings)
            self.reports[i] = (
                dataclasses.replace(judged, findings=judged.findings + more) if more else judged
            )


def _commit_error(exc: psycopg.Error, statement: Statement) -> StatementError:
    """A COMMIT that failed after `statement` (a deferred constraint or trigger fired)."""
    message = exc.diag.message_primary or type(exc).__name__
    return StatementError(
        exc.sqlstate, f"{message} (raised at COMMIT, after this statement)", statement.location
    )


def _duration(observation: Observation | None) -> float:
    return observation.duration_ms if observation is not None else 0.0


# Tables a sampled statement is made to queue for, so its lock requests are seen.
_GATED_ROLES = ("target", "index-table", "target-partitions", "partition")


def gate_tables(report: StatementReport) -> list[str]:
    return sorted(
        {
            lock.relation
            for lock in report.prediction.locks
            if lock.role in _GATED_ROLES and not lock.new and not lock.relation.startswith("(")
        }
    )
