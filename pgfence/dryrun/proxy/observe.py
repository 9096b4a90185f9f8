"""What the project's own migration runner sent, observed statement by statement with the
plain dry-run's machinery (probe.py), predicted and judged as every dry-run is.

Each connection the runner opens gets a probe session of its own and the observers of
probe.py: `TransactionalObserver.observed` for a statement that ran in a transaction (the
runner's, or the BEGIN … COMMIT the proxy put around an implicit one), whose queries
"as the migration sees it" go to the runner's own backend through the proxy while the
runner waits (`SessionQuery`); `SampledObserver.sample` for one Postgres refuses in a
transaction block (CREATE INDEX CONCURRENTLY, VACUUM…), sampled while it runs.

The runner's own statements (its bookkeeping table, advisory locks, catalog queries,
SET, transaction control) are kept apart and never judged; its bookkeeping rows name
the migration the statements before them belong to.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pglast
import psycopg
from pglast import ast
from pglast.visitors import referenced_relations

from pgfence.analysis.analyze import StatementWalker
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.policy import StatementFacts
from pgfence.dryrun.probe import (
    Execution,
    SampledObserver,
    Sessions,
    TransactionalObserver,
    connect,
)
from pgfence.dryrun.proxy.relay import Request, SessionQuery
from pgfence.model import (
    AUTOCOMMIT,
    Location,
    Observation,
    Prediction,
    Statement,
    StatementError,
    StatementReport,
    Transaction,
    TxScope,
)
from pgfence.pg.transactions import runs_in_transaction
from pgfence.verdict import NOTHING_CARRIED, Carried, judge

# The migration tools' bookkeeping tables, and the column that names the migration.
BOOKKEEPING = {
    "alembic_version": "version_num",
    "django_migrations": "name",
    "sequelizemeta": "name",
    "knex_migrations": "name",
    "knex_migrations_lock": "",
    "flyway_schema_history": "script",
    "schema_migrations": "version",
    "_prisma_migrations": "migration_name",
    # TypeORM's default name: a project's own table of that name is taken for it.
    "migrations": "name",
}
_CATALOG_SCHEMAS = ("pg_catalog.", "information_schema.")
_CATALOG_NAMES = frozenset({"pg_catalog", "information_schema"})
RUNNER_FILE = "(runner)"  # the file of statements no bookkeeping row named
_INT_TYPES = frozenset({20, 21, 23, 26, 28})  # int8, int2, int4, oid, xid
_BOOL = 16


class _Rows:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)


@dataclass
class _Info:
    backend_pid: int


class BackendSession:
    """The runner's own session, as probe.py's observers ask "the migration's session":
    only `execute(query, params)`, answered by the runner's backend through the proxy
    while the runner waits (values typed back from text: integers, booleans, text)."""

    def __init__(self, pid: int, probe: psycopg.Connection) -> None:
        self.info = _Info(pid)
        self._mogrify = psycopg.ClientCursor(probe)
        self.session: SessionQuery | None = None

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None) -> _Rows:
        assert self.session is not None, "asked outside a request"
        text = self._mogrify.mogrify(query, params) if params is not None else str(query)
        types, rows = self.session.run(text)
        return _Rows([tuple(_typed(t, v) for t, v in zip(types, row, strict=True)) for row in rows])


def _typed(type_oid: int, value: str | None) -> Any:
    if value is None:
        return None
    if type_oid in _INT_TYPES:
        return int(value)
    if type_oid == _BOOL:
        return value == "t"
    return value


@dataclass
class _Sampling:
    """A statement run outside a transaction block, sampled while it runs."""

    done: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)
    execution: Execution = field(default_factory=Execution)
    result: Observation | None = None
    thread: threading.Thread | None = None


@dataclass
class _Connection:
    """One connection of the runner: its backend and the sessions observing it."""

    pid: int
    probe: psycopg.Connection
    backend: BackendSession
    transactional: TransactionalObserver
    sampled: SampledObserver
    block: int | None = None  # the transaction number of its open transaction
    # The locks predicted for the statements of its open transaction, each once (what the
    # verdict counts as still held, as the plain dry-run's runner does).
    carried: Carried = NOTHING_CARRIED
    # Indexes in `sent` of the statements of its open transaction.
    open_reports: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """One statement of the runner, as reported: the statement's report (its file is
    the migration once a bookkeeping row names it) and what the policies need."""

    report: StatementReport
    facts: StatementFacts
    # What the runner's transaction held before it (predicted), for its verdict, and the
    # prediction judged: several statements sent in one message are judged together.
    carried: Carried = NOTHING_CARRIED
    judged: Prediction | None = None


class RunnerWatcher:
    """The proxy's watcher in `dryrun --runner`: see the module's docstring."""

    def __init__(
        self,
        dsn: str,
        catalog: Catalog,
        major: int,
        settings: Any,
        statement_timeout_s: float,
        migrations_dir: Path | None = None,
    ) -> None:
        self._dsn = dsn
        # The schema the tool's statements make, followed as the plain dry-run does.
        self._walker = StatementWalker(catalog, major, settings)
        self._timeout_s = statement_timeout_s
        self._dir = migrations_dir
        self._lock = threading.Lock()
        self._connections: dict[int, _Connection] = {}
        self._blocks = 0
        self._started: dict[int, float] = {}
        self._sampling: dict[int, _Sampling] = {}
        self.sent: list[Sent] = []
        self.own: list[str] = []
        self.migrations: list[str] = []
        self._unnamed_from = 0  # index in `sent` of the first statement no row named yet
        self._last_of: dict[int, int] = {}  # request -> index in `sent` of its last statement

    # ---- the proxy's questions ------------------------------------------------------------

    def wrappable(self, statements: list[str]) -> bool:
        nodes = [node for text in statements for node in _parse(text)]
        if not nodes or any(node is None for node in nodes):
            return False
        return all(
            not isinstance(node, ast.TransactionStmt) and runs_in_transaction(node)
            for node in nodes
        )

    def split(self, text: str) -> list[str]:
        pieces = _split(text)
        if len(pieces) < 2 or any(node is None for _, node in pieces):
            return [text]
        return [piece for piece, _ in pieces]

    def before(self, request: Request) -> None:
        self._started[id(request)] = time.perf_counter()
        nodes = [node for text in request.statements for node in _parse(text)]
        if (
            request.wrapped
            or request.transaction_status != "I"
            or len(nodes) != 1
            or nodes[0] is None
            or runs_in_transaction(nodes[0])
            or request.backend_pid is None
        ):
            return
        conn = self._connection(request.backend_pid)
        statement = _statement(request.statements[0], nodes[0])
        with self._lock:
            prediction = self._predict(statement, index=len(self.sent)).prediction
        gate = _gate_tables(prediction)
        sampling = _Sampling()

        def run() -> Execution:
            sampling.ready.set()
            sampling.done.wait()
            return sampling.execution

        def observe() -> None:
            try:
                sampling.result, _ = conn.sampled.sample(run, gate)
            finally:
                sampling.ready.set()

        sampling.thread = threading.Thread(target=observe, name="pgfence-sample", daemon=True)
        self._sampling[id(request)] = sampling
        sampling.thread.start()
        sampling.ready.wait(10)  # the gates hold the tables before the statement is sent

    def after(self, request: Request, session: SessionQuery) -> None:
        duration_ms = time.perf_counter() - self._started.pop(id(request), time.perf_counter())
        duration_ms *= 1000
        if request.backend_pid is None:
            return
        conn = self._connection(request.backend_pid)
        bound = request.parameters or [() for _ in request.statements]
        pairs = [
            # Parameters belong to a text of one statement (the extended protocol's rule).
            (_statement(piece, node, values if len(_split(text)) == 1 else ()), values)
            for text, values in zip(request.statements, bound, strict=False)
            for piece, node in _split(text)
        ]
        statements = [statement for statement, _ in pairs]
        with self._lock:
            if request.transaction_status == "I" or conn.block is None:
                self._blocks += 1
                conn.block = self._blocks
            ran = len(request.completions)
            own = [runners_own(statement) for statement in statements]
            mine = [s for s, is_own in zip(statements, own, strict=True) if not is_own]
            for (statement, values), is_own in zip(pairs, own, strict=True):
                if is_own:
                    self.own.append(statement.sql)
                    self._bookkeeping(statement, values)
            if mine:
                observation = self._observe(request, session, conn, duration_ms, ran)
                self._report(mine, observation, request, conn)
            elif request.error is not None and any(
                isinstance(s.node, ast.TransactionStmt) for s in statements
            ):
                # The tool's COMMIT failed (a deferred constraint): its transaction's
                # last statement that ran fails, as in the plain dry-run.
                self._commit_failed(conn, *request.error)
            if request.status_after == "I" or (request.wrapped and request.more == 0):
                self._transaction_ended(conn)

    def ended(self, request: Request, error: tuple[str, str] | None) -> None:
        """The proxy ended the transaction it opened for `request`; `error`: its COMMIT
        failed (a deferred constraint fired), which fails the statement."""
        with self._lock:
            last = self._last_of.pop(id(request), None)
        if error is None or request.backend_pid is None or last is None:
            return
        conn = self._connection(request.backend_pid)
        with self._lock:
            self._commit_failed(conn, *error, last=last)

    def _commit_failed(
        self, conn: _Connection, sqlstate: str, message: str, last: int | None = None
    ) -> None:
        candidates = [last] if last is not None else reversed(conn.open_reports)
        for i in candidates:
            item = self.sent[i]
            observation = item.report.observation
            if observation is None or not observation.ran or observation.error is not None:
                continue
            error = StatementError(
                sqlstate, f"{message} (raised at COMMIT, after this statement)", None
            )
            failed = dataclasses.replace(observation, error=error)
            report = dataclasses.replace(item.report, observation=failed)
            self.sent[i] = dataclasses.replace(item, report=report)
            return

    def _transaction_ended(self, conn: _Connection) -> None:
        conn.transactional.end_transaction()
        conn.block = None
        conn.carried = NOTHING_CARRIED
        conn.open_reports = []

    def judged(self) -> list[Sent]:
        """What the runner sent, each statement's verdict judged once, now that every
        observation is final (a COMMIT that failed after it included)."""
        out = []
        for item in self.sent:
            prediction = item.judged or item.report.prediction
            verdict = judge(prediction, item.report.observation, item.carried)
            out.append(
                dataclasses.replace(item, report=dataclasses.replace(item.report, verdict=verdict))
            )
        return out

    def close(self) -> None:
        """Close the probe sessions (the proxy and its connections are gone by now), and
        end the sampling of a statement the runner never saw complete (it was killed)."""
        for sampling in list(self._sampling.values()):
            sampling.execution = Execution(
                error=StatementError("57014", "the runner stopped before it completed", None)
            )
            sampling.done.set()
            if sampling.thread is not None:
                sampling.thread.join(5)
        self._sampling.clear()
        for conn in self._connections.values():
            with contextlib.suppress(Exception):
                conn.probe.close()
            conn.transactional.sessions.watchdog.stop()
        self._connections.clear()

    # ---- observing ------------------------------------------------------------------------

    def _connection(self, pid: int) -> _Connection:
        with self._lock:
            known = self._connections.get(pid)
            if known is not None:
                return known
            probe = connect(self._dsn, application_name="pgfence probe", prepare=True)
            backend = BackendSession(pid, probe)
            sessions = Sessions(cast(psycopg.Connection, backend), probe, self._dsn)
            sessions.migration_pid = pid
            sampled_sessions = Sessions(probe, probe, self._dsn)
            sampled_sessions.migration_pid = pid
            conn = _Connection(
                pid,
                probe,
                backend,
                TransactionalObserver(sessions, self._timeout_s),
                SampledObserver(sampled_sessions, self._timeout_s),
            )
            self._connections[pid] = conn
            return conn

    def _observe(
        self,
        request: Request,
        session: SessionQuery,
        conn: _Connection,
        duration_ms: float,
        ran: int,
    ) -> Observation:
        error = None
        if request.error is not None:
            sqlstate, message = request.error
            error = StatementError(sqlstate, message, None)
        sampling = self._sampling.pop(id(request), None)
        if sampling is not None:
            sampling.execution = Execution(duration_ms=duration_ms, error=error)
            sampling.done.set()
            if sampling.thread is not None:
                sampling.thread.join()
            if sampling.result is not None:
                return sampling.result
        if error is not None:
            return Observation(duration_ms=duration_ms, error=error)
        if request.status_after != "T":
            return Observation(
                ran=False,
                not_run_reason="ran outside a transaction pgfence could hold open: not observed",
            )
        conn.backend.session = session
        try:
            observation = conn.transactional.observed(Execution(duration_ms=duration_ms))
        finally:
            conn.backend.session = None
        if request.wrapped and request.transaction_status == "I" and request.more == 0:
            observation = dataclasses.replace(observation, held_ms=observation.duration_ms)
        return observation

    def _predict(self, statement: Statement, index: int) -> Any:
        self._walker.index = index  # the proxy counts what the tool sent
        return self._walker.analyse(statement)

    def _report(
        self,
        statements: list[Statement],
        observation: Observation,
        request: Request,
        conn: _Connection,
    ) -> None:
        """One report per statement; several sent in one message are observed together,
        on the last (their predictions merged there), the others said so."""
        in_tx = request.transaction_status != "I" or request.more > 0
        tx = Transaction(TxScope.RUNNER, conn.block) if in_tx else AUTOCOMMIT
        predictions: list[Prediction] = []
        for position, statement in enumerate(statements):
            line = len(self.sent) - self._unnamed_from + 1  # its number in its migration
            location = Location(RUNNER_FILE, line, 1)
            statement = dataclasses.replace(statement, transaction=tx, location=location)
            analysis = self._predict(statement, len(self.sent))
            self._walker.index = len(self.sent)
            self._walker.follow(statement, applied=observation.error is None)
            predictions.append(analysis.prediction)
            last = position == len(statements) - 1
            carried = NOTHING_CARRIED
            judged = analysis.prediction
            if last:
                judged, seen, carried = _merged(predictions), observation, conn.carried
                if in_tx:
                    conn.carried = conn.carried.plus(judged.locks)
            else:
                seen = Observation(
                    ran=False,
                    not_run_reason="sent in one message with the statements after it: "
                    "observed with them, on the last",
                )
            report = StatementReport(statement, analysis.prediction, analysis.findings, seen)
            self.sent.append(Sent(report, analysis.facts, carried, judged))
            conn.open_reports.append(len(self.sent) - 1)
            if request.wrapped:
                self._last_of[id(request)] = len(self.sent) - 1

    # ---- the runner's own statements --------------------------------------------------------

    def _bookkeeping(self, statement: Statement, values: tuple[str | None, ...] = ()) -> None:
        """An INSERT or UPDATE of a bookkeeping table names the migration that just ran:
        the statements since the previous one are its (`values`: its bound parameters)."""
        name = _recorded_migration(statement.node, values)
        if name is None:
            return
        self.migrations.append(name)
        path = self._file_of(name)
        for i in range(self._unnamed_from, len(self.sent)):
            item = self.sent[i]
            location = dataclasses.replace(
                item.report.statement.location, file=path, line=i - self._unnamed_from + 1
            )
            statement = dataclasses.replace(item.report.statement, location=location)
            findings = tuple(
                dataclasses.replace(f, location=location) for f in item.report.findings
            )
            report = dataclasses.replace(item.report, statement=statement, findings=findings)
            self.sent[i] = dataclasses.replace(item, report=report)
        self._unnamed_from = len(self.sent)

    def _file_of(self, name: str) -> str:
        """The file of migration `name` under --migrations DIR, else the name: the file
        of that name (Knex, Sequelize), of that stem (Flyway), of the last part of a
        Django "app.0001_initial", whose name starts with it (an Alembic revision), or
        with the timestamp that ends it (a TypeORM class name)."""
        if self._dir is None:
            return name
        with contextlib.suppress(OSError):
            files = sorted(p for p in self._dir.rglob("*") if p.is_file())
            last = name.rsplit(".", 1)[-1]

            def named(p: Path) -> bool:
                return p.name == name or p.stem == name

            def django(p: Path) -> bool:
                return "." in name and p.suffix == ".py" and p.stem == last

            def prefixed(p: Path) -> bool:
                return p.name.startswith((f"{name}_", f"{name}-", f"{name}."))

            stamp = re.search(r"(\d{10,})$", name)

            def typeorm(p: Path) -> bool:  # class CreateTables1700…: file 1700…-CreateTables.js
                return stamp is not None and p.name.startswith(stamp.group(1))

            for test in (named, django, prefixed, typeorm):
                for path in files:
                    if test(path):
                        return str(path)
        return name


def _parse(text: str) -> list[Any]:
    """The statements of a text the runner sent (None for one that does not parse)."""
    return [node for _, node in _split(text)]


@functools.lru_cache(maxsize=64)
def _split(text: str) -> tuple[tuple[str, Any], ...]:
    """Each statement's own text and tree (kept for the few texts seen last: the proxy
    asks about each text three times, before and after it runs)."""
    try:
        raws = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return ((text.strip(), None),)
    out = []
    encoded = text.encode()
    for raw in raws:
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(encoded)
        piece = encoded[start:end].decode("utf-8", "replace").strip()
        out.append((piece, raw.stmt))
    return tuple(out)


def _statement(text: str, node: Any, parameters: tuple[str | None, ...] = ()) -> Statement:
    return Statement(
        sql=text,
        location=Location(RUNNER_FILE, 1, 1),
        parse_error=None if node is not None else "does not parse",
        parameters=tuple(parameters),
        node=node,
    )


def _merged(predictions: Sequence[Prediction]) -> Prediction:
    if len(predictions) == 1:
        return predictions[0]
    last = predictions[-1]
    return dataclasses.replace(
        last,
        locks=tuple(dict.fromkeys(lock for p in predictions for lock in p.locks)),
        rewrites=tuple(dict.fromkeys(r for p in predictions for r in p.rewrites)),
    )


def _gate_tables(prediction: Prediction) -> list[str]:
    from pgfence.dryrun.runner import gate_tables

    return gate_tables(StatementReport(_statement("", None), prediction))


def _recorded_migration(node: Any, values: tuple[str | None, ...] = ()) -> str | None:
    """The migration an INSERT or UPDATE of a bookkeeping table records, if it says."""
    if isinstance(node, ast.InsertStmt):
        relation: Any = node.relation
        table = str(relation.relname or "").lower()
        column = BOOKKEEPING.get(table)
        select: Any = node.selectStmt
        if not column or select is None or not select.valuesLists:
            return None
        names = [str(c.name).lower() for c in node.cols or ()]
        row = dict(zip(names, (_constant(v, values) for v in select.valuesLists[0]), strict=False))
        if table == "django_migrations" and row.get("app") and row.get("name"):
            return f"{row['app']}.{row['name']}"
        return row.get(column)
    if isinstance(node, ast.UpdateStmt):
        target_relation: Any = node.relation
        table = str(target_relation.relname or "").lower()
        column = BOOKKEEPING.get(table)
        for target in node.targetList or ():
            if column and str(target.name).lower() == column:
                return _constant(target.val, values)
    return None


def _constant(node: Any, values: tuple[str | None, ...] = ()) -> str | None:
    """A literal's value as text; a parameter ($n) as bound."""
    if isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ParamRef):
        number = int(node.number or 0)
        return values[number - 1] if 0 < number <= len(values) else None
    if isinstance(node, ast.A_Const) and not node.isnull and node.val is not None:
        value = node.val
        for attr in ("sval", "ival", "fval"):
            if hasattr(value, attr):
                return str(getattr(value, attr))
    return None


def runners_own(statement: Statement) -> bool:
    """A statement of the migration tool's own (never judged): transaction control,
    settings, reads, prepared-statement plumbing, its bookkeeping table, the catalogs."""
    node = statement.node
    if node is None:
        return False
    if isinstance(
        node,
        ast.TransactionStmt
        | ast.VariableSetStmt
        | ast.VariableShowStmt
        | ast.SelectStmt
        | ast.DiscardStmt
        | ast.DeallocateStmt
        | ast.PrepareStmt
        | ast.ExecuteStmt,
    ):
        return True
    target = getattr(node, "relation", None)
    if isinstance(target, ast.RangeVar) and not isinstance(node, ast.InsertStmt | ast.CopyStmt):
        # DDL and UPDATE/DELETE name their one table: no walk of the whole tree (a
        # millisecond a statement); an INSERT … SELECT or COPY may read others.
        schema = str(target.schemaname or "")
        return str(target.relname).lower() in BOOKKEEPING or schema in _CATALOG_NAMES
    try:
        relations = referenced_relations(node)
    except Exception:  # pglast walks what it parsed; a failure here means "not known"
        return False
    names = {r.lower().split(".")[-1].strip('"') for r in relations}
    if names & set(BOOKKEEPING):
        return True
    return bool(relations) and all(r.startswith(_CATALOG_SCHEMAS) for r in relations)
