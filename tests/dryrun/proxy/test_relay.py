"""The wire-protocol proxy against a real server: the client sees what it would have seen,
the observer sees each completed statement while the backend still holds its locks."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgfence.dryrun.introspect import backend_locks
from pgfence.dryrun.proxy.relay import Completion, Proxy, Request, SessionQuery, SessionQueryError
from pgfence.dryrun.servers.base import Server
from pgfence.pg.locks import LockMode
from tests.support import database_with

pytestmark = pytest.mark.postgres


def _through(proxy: Proxy, dsn: str, **extra: str) -> str:
    host, port = proxy.address
    return make_conninfo(dsn, host=host, port=str(port), **extra)


def _upstream(dsn: str) -> tuple[str, int]:
    params = conninfo_to_dict(dsn)
    return str(params.get("host") or "localhost"), int(params.get("port") or 5432)


class _Recorder:
    """Records each completion and, while the client still waits, the locks its backend holds."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.seen: list[tuple[Completion, set[tuple[str, LockMode]]]] = []

    def __call__(self, completion: Completion) -> None:
        assert completion.backend_pid is not None
        # The plain dry-run's own read of a backend's locks (introspect.backend_locks).
        with psycopg.connect(self._dsn, autocommit=True) as probe:
            held = [lock for lock in backend_locks(probe, completion.backend_pid) if lock.granted]
            names = {
                int(oid): str(name)
                for oid, name in probe.execute(
                    "SELECT oid::int, relname FROM pg_class WHERE oid = ANY(%s)",
                    ([lock.oid for lock in held],),
                )
            }
        self.seen.append((completion, {(names.get(lock.oid, ""), lock.mode) for lock in held}))


def test_observer_sees_locks_before_client_sees_completion(pg: Server, database_name: str) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id int PRIMARY KEY, name text)")
    recorder = _Recorder(dsn)
    with (
        Proxy(*_upstream(dsn), observer=recorder) as proxy,
        psycopg.connect(_through(proxy, dsn, sslmode="prefer")) as conn,
    ):
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()
        conn.execute("ALTER TABLE accounts ADD COLUMN created timestamptz")
        conn.commit()
    assert pid is not None
    alters = [(c, locks) for c, locks in recorder.seen if c.tag == "ALTER TABLE"]
    assert len(alters) == 1
    completion, locks = alters[0]
    assert completion.backend_pid == pid[0]
    assert completion.statement == "ALTER TABLE accounts ADD COLUMN created timestamptz"
    assert completion.transaction_status == "T"  # psycopg's own BEGIN came first
    assert ("accounts", LockMode.ACCESS_EXCLUSIVE) in locks


def test_simple_extended_pipelined_and_copy_traffic_is_relayed_unchanged(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE items (id int, label text)")
    recorder = _Recorder(dsn)
    with (
        Proxy(*_upstream(dsn), observer=recorder) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        conn.execute(b"INSERT INTO items VALUES (1, 'simple'); INSERT INTO items VALUES (2, 'two')")
        conn.execute("INSERT INTO items VALUES (%s, %s)", (3, "extended"))
        with conn.pipeline():
            for n in (4, 5, 6):
                conn.execute("INSERT INTO items VALUES (%s, %s)", (n, f"piped {n}"))
        with conn.cursor().copy("COPY items FROM STDIN") as copy:
            copy.write_row((7, "copied"))
        with conn.cursor().copy("COPY (SELECT id, label FROM items ORDER BY id) TO STDOUT") as copy:
            copied_out = [tuple(row) for row in copy.rows()]
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM missing")
        rows = conn.execute("SELECT id, label FROM items ORDER BY id").fetchall()
    assert rows == [
        (1, "simple"), (2, "two"), (3, "extended"),
        (4, "piped 4"), (5, "piped 5"), (6, "piped 6"), (7, "copied"),
    ]  # fmt: skip
    assert copied_out == [(str(i), label) for i, label in rows]
    tags = [(c.tag, c.statement) for c, _ in recorder.seen]
    inserts = [t for t in tags if t[0] == "INSERT 0 1"]
    assert len(inserts) == 6
    assert all(s is not None and s.startswith("INSERT INTO items") for _, s in inserts)
    assert ("COPY 1", "COPY items FROM STDIN") in tags
    assert tags[-1] == ("SELECT 7", "SELECT id, label FROM items ORDER BY id")


def test_cancel_request_is_forwarded(pg: Server, database_name: str) -> None:
    dsn = database_with(pg, database_name)
    with (
        Proxy(*_upstream(dsn)) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        timer = threading.Timer(
            0.5, conn.cancel_safe if hasattr(conn, "cancel_safe") else conn.cancel
        )
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(30)")
        timer.join()
        assert time.monotonic() - started < 10
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_client_is_held_until_the_observer_returns(pg: Server, database_name: str) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE t (id int)")
    observed_until: list[float] = []

    def slow_observer(completion: Completion) -> None:
        if completion.tag == "TRUNCATE TABLE":
            time.sleep(0.3)
            observed_until.append(time.monotonic())

    with (
        Proxy(*_upstream(dsn), observer=slow_observer) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        conn.execute("TRUNCATE t")
        returned = time.monotonic()
    assert len(observed_until) == 1
    assert returned >= observed_until[0]


def test_leaving_the_block_closes_the_listener_and_live_connections(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(pg, database_name)
    with Proxy(*_upstream(dsn)) as proxy:
        conn = psycopg.connect(_through(proxy, dsn), autocommit=True)
        address = proxy.address
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            make_conninfo(dsn, host=address[0], port=str(address[1])), connect_timeout=2
        )


class _Watcher:
    """Wraps what it may, and records each request with its backend's locks and what the
    backend's own session sees, while the client still waits."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.requests: list[tuple[Request, set[tuple[str, LockMode]], str | None]] = []

    def wrappable(self, statements: list[str]) -> bool:
        return not any("CONCURRENTLY" in s for s in statements)

    def split(self, text: str) -> list[str]:
        return [text]

    def before(self, request: Request) -> None:
        pass

    def ended(self, request: Request, error: tuple[str, str] | None) -> None:
        self.ended_with = error

    def after(self, request: Request, session: SessionQuery) -> None:
        assert request.backend_pid is not None
        with psycopg.connect(self._dsn, autocommit=True) as probe:
            held = [lock for lock in backend_locks(probe, request.backend_pid) if lock.granted]
            names = {
                int(oid): str(name)
                for oid, name in probe.execute(
                    "SELECT oid::int, relname FROM pg_class WHERE oid = ANY(%s)",
                    ([lock.oid for lock in held],),
                )
            }
        seen = None
        if request.status_after == "T":
            _, rows = session.run(
                "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attnum > 0"
            )
            seen = rows[0][0]
        locks = {(names.get(lock.oid, ""), lock.mode) for lock in held}
        self.requests.append((request, locks, seen))


def test_watcher_sees_implicit_statements_inside_a_transaction_the_proxy_adds(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id int PRIMARY KEY)")
    watcher = _Watcher(dsn)
    with (
        Proxy(*_upstream(dsn), watcher=watcher) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        conn.execute(b"ALTER TABLE accounts ADD COLUMN name text")  # simple protocol
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute("ALTER TABLE accounts ADD COLUMN n int DEFAULT 1", binary=True)  # extended
        with pytest.raises(psycopg.errors.DuplicateColumn):
            conn.execute(b"ALTER TABLE accounts ADD COLUMN name text")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute(b"CREATE INDEX CONCURRENTLY accounts_name ON accounts (name)")
        with conn.pipeline():
            conn.execute("INSERT INTO accounts VALUES (%s)", (1,))
            conn.execute("INSERT INTO accounts VALUES (%s)", (2,))
        rows = conn.execute("SELECT count(*) FROM accounts").fetchone()
    assert rows == (2,)
    by_text: dict[str, tuple[Request, set[tuple[str, LockMode]], str | None]] = {}
    for request, locks, seen in watcher.requests:
        if request.statements:
            by_text.setdefault(request.statements[0], (request, locks, seen))
    simple, locks, seen = by_text["ALTER TABLE accounts ADD COLUMN name text"]
    assert simple.wrapped and simple.transaction_status == "I" and simple.status_after == "T"
    assert ("accounts", LockMode.ACCESS_EXCLUSIVE) in locks
    assert seen == "id,name"  # the backend's own uncommitted view
    extended, locks, seen = by_text["ALTER TABLE accounts ADD COLUMN n int DEFAULT 1"]
    assert extended.wrapped and ("accounts", LockMode.ACCESS_EXCLUSIVE) in locks
    assert seen == "id,name,n"
    failed = [r for r, _, _ in watcher.requests if r.error is not None]
    assert [r.error[0] for r in failed if r.error] == ["42701"]
    concurrent, locks, seen = by_text["CREATE INDEX CONCURRENTLY accounts_name ON accounts (name)"]
    assert not concurrent.wrapped and concurrent.status_after == "I" and seen is None
    assert [c.tag for c in concurrent.completions] == ["CREATE INDEX"]


class _FailingWatcher(_Watcher):
    def after(self, request: Request, session: SessionQuery) -> None:
        raise RuntimeError("the observation broke")


def test_a_fault_of_the_watcher_is_kept_and_the_client_goes_on(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id int)")
    with (
        Proxy(*_upstream(dsn), watcher=_FailingWatcher(dsn)) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        conn.execute(b"ALTER TABLE accounts ADD COLUMN a int")
        assert conn.execute(b"SELECT count(*) FROM accounts").fetchone() == (0,)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        faults = list(proxy.watcher_errors)
    assert faults[0] == "RuntimeError: the observation broke"
    with psycopg.connect(dsn) as check:  # the wrapped statement was committed all the same
        assert check.execute(b"SELECT a FROM accounts").fetchall() == []


def test_the_proxys_own_queries_leave_the_clients_unnamed_statement_alone(
    pg: Server, database_name: str
) -> None:
    """lib/pq (dbmate, golang-migrate) parses an unnamed statement in one batch and binds
    it in the next: the BEGIN the proxy adds in between must not drop it."""
    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id int)")
    watcher = _Watcher(dsn)
    with (
        Proxy(*_upstream(dsn), watcher=watcher) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        pgconn = conn.pgconn
        prepared = pgconn.prepare(b"", b"ALTER TABLE accounts ADD COLUMN a int")
        assert prepared.status == psycopg.pq.ExecStatus.COMMAND_OK, prepared.error_message
        executed = pgconn.exec_prepared(b"", [])
        assert executed.status == psycopg.pq.ExecStatus.COMMAND_OK, executed.error_message
    wrapped = [r for r, _, _ in watcher.requests if r.wrapped]
    assert [r.statements for r in wrapped] == [["ALTER TABLE accounts ADD COLUMN a int"]]


class _ClumsyWatcher(_Watcher):
    """Its own query on the client's backend fails each time."""

    failures: list[str]

    def after(self, request: Request, session: SessionQuery) -> None:
        try:
            session.run("SELECT * FROM no_such_table")
        except SessionQueryError as exc:
            self.failures.append(str(exc))
        super().after(request, session)


def test_a_failed_query_of_the_proxys_leaves_the_clients_transaction_alive(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id int PRIMARY KEY)")
    watcher = _ClumsyWatcher(dsn)
    watcher.failures = []
    with (
        Proxy(*_upstream(dsn), watcher=watcher) as proxy,
        psycopg.connect(_through(proxy, dsn)) as conn,  # psycopg opens a transaction
    ):
        conn.execute("INSERT INTO accounts VALUES (1)")
        conn.execute("ALTER TABLE accounts ADD COLUMN name text")
        conn.commit()
        conn.autocommit = True
        conn.execute(b"INSERT INTO accounts VALUES (2)")  # wrapped by the proxy
    assert watcher.failures and set(watcher.failures) == {'relation "no_such_table" does not exist'}
    assert proxy.watcher_errors == []
    with psycopg.connect(dsn) as check:
        assert check.execute("SELECT id FROM accounts ORDER BY id").fetchall() == [(1,), (2,)]


def test_a_deferred_constraint_failing_at_the_proxys_commit_fails_the_statement(
    pg: Server, database_name: str
) -> None:
    dsn = database_with(
        pg,
        database_name,
        "CREATE TABLE parent (id int PRIMARY KEY)",
        "CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)",
    )
    with (
        Proxy(*_upstream(dsn), watcher=_Watcher(dsn)) as proxy,
        psycopg.connect(_through(proxy, dsn), autocommit=True) as conn,
    ):
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(b"INSERT INTO child VALUES (1)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute(b"SELECT count(*) FROM child").fetchone() == (0,)
