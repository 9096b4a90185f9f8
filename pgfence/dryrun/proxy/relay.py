"""The proxy itself: a loopback listener that relays each client connection to the
server message by message, and calls an observer after each statement completes and
before the client is told.

Threads, not asyncio: the observer is pgfence's existing dry-run machinery, which uses
psycopg's blocking connections; on a thread it runs as it is, while the server-to-client
relay of that connection is held, which is exactly what "before the runner sees the
completion" needs. A runner opens a handful of connections, so two threads each is cheap.
"""

from __future__ import annotations

import contextlib
import hmac
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from pgfence.dryrun.proxy import wire


@dataclass(frozen=True)
class Completion:
    """One statement the server reported complete, as the observer sees it."""

    connection: int  # the proxy's number for the client connection, from 1
    backend_pid: int | None
    statement: str | None  # the Query or Parse text that ran
    tag: str  # the CommandComplete tag, e.g. "CREATE INDEX"
    # ReadyForQuery status before this statement: "I" idle, "T" in a transaction, "E" failed.
    transaction_status: str


Observer = Callable[[Completion], None]


@dataclass
class Request:
    """What a client sent between two ReadyForQuery: one Query message, or one batch of
    the extended protocol up to its Sync; filled in as the server answers."""

    connection: int
    backend_pid: int | None
    statements: list[str]  # the Query text, or the text of each Execute of the batch
    transaction_status: str  # before it: "I", "T" or "E"
    # Sent between a BEGIN and a COMMIT the proxy added: in an implicit transaction the
    # locks would be gone before the client is told the statement completed.
    wrapped: bool = False
    completions: list[Completion] = field(default_factory=list)
    error: tuple[str, str] | None = None  # the server's (SQLSTATE, message)
    status_after: str = "I"
    # A Query of several statements is sent one statement at a time (each observed while
    # the server is idle between them): how many of its statements come after this one.
    more: int = 0
    watcher_error: str | None = None  # what went wrong observing it (the relay went on)
    # Per statement, the parameters bound to it (extended protocol; as text, None: NULL
    # or binary).
    parameters: list[tuple[str | None, ...]] = field(default_factory=list)


class SessionQuery:
    """Runs pgfence's own read-only queries on a client's backend, in its transaction,
    while the client waits for ReadyForQuery: the rows, every value as text (None: NULL)
    with the type OID of each column.

    Inside a transaction each query runs under a savepoint of its own, rolled back to if
    it fails: a failed query of pgfence's must not abort the client's transaction (nor
    the one the proxy opened, which would then lose the client's statement)."""

    def __init__(self, upstream: socket.socket, backend: _Backend) -> None:
        self.upstream = upstream
        self._backend = backend

    def run(self, text: str) -> tuple[list[int], list[tuple[str | None, ...]]]:
        if self._backend.transaction_status != "T":
            types, rows, error = self._exchange([text])[0]
        else:
            # One round trip when all goes well: the three sent at once (on a busy
            # machine each round trip to the server costs a scheduling of both ends).
            answers = self._exchange(
                ["SAVEPOINT pgfence_proxy", text, "RELEASE SAVEPOINT pgfence_proxy"]
            )
            types, rows, error = answers[1]
            if error is not None:  # and RELEASE failed with it: the transaction aborted
                self._exchange(
                    ["ROLLBACK TO SAVEPOINT pgfence_proxy", "RELEASE SAVEPOINT pgfence_proxy"]
                )
        if error is not None:
            raise SessionQueryError(wire.error_fields(error)[1])
        return types, rows

    def end(self, text: str) -> wire.Message | None:
        """COMMIT or ROLLBACK the transaction the proxy opened: the server's
        ErrorResponse if it failed (a deferred constraint), for the client to see."""
        return self._exchange([text])[0][2]

    def _exchange(
        self, texts: list[str]
    ) -> list[tuple[list[int], list[tuple[str | None, ...]], wire.Message | None]]:
        """Send `texts`, each as a batch of its own, at once; each one's answer."""
        with self._backend.send_lock:
            self.upstream.sendall(b"".join(wire.own_query(text) for text in texts))
        answers = []
        for _ in texts:
            types: list[int] = []
            rows: list[tuple[str | None, ...]] = []
            error: wire.Message | None = None
            while True:
                message = wire.read_message(self.upstream)
                if message.kind == wire.ROW_DESCRIPTION:
                    types = wire.row_types(message)
                elif message.kind == wire.DATA_ROW:
                    rows.append(wire.row_values(message))
                elif message.kind == wire.ERROR_RESPONSE:
                    error = error or message
                elif message.kind == wire.READY_FOR_QUERY:
                    self._backend.transaction_status = chr(message.body[0])
                    break
            answers.append((types, rows, error))
        return answers


class SessionQueryError(Exception):
    """pgfence's own query on a client's backend failed (the server's message)."""


class Watcher(Protocol):
    """Follows every request of every connection (the runner mode of the dry-run)."""

    def wrappable(self, statements: list[str]) -> bool:
        """May these statements, sent in an implicit transaction, run in BEGIN … COMMIT?"""

    def split(self, text: str) -> list[str]:
        """The statements of a Query's text, each alone ([text] unless it surely holds
        several: a text the parser refuses is sent whole, so the server refuses it whole)."""

    def before(self, request: Request) -> None:
        """Called before the request is sent to the server (on the client's thread)."""

    def after(self, request: Request, session: SessionQuery) -> None:
        """Called once the server answered it all and before the client is told (its
        ReadyForQuery is held): a wrapped request's transaction is still open."""

    def ended(self, request: Request, error: tuple[str, str] | None) -> None:
        """The transaction the proxy opened for a wrapped request is over: `error` if
        its COMMIT failed (the client is then told the statement failed)."""


@dataclass
class _Backend:
    """What the relay knows of one connection's backend."""

    number: int
    pid: int | None = None
    transaction_status: str = "I"
    # Statements sent and not yet answered, in order: ("query"|"execute"|"sync", text),
    # and ("begin", None) for a BEGIN the proxy sent, whose answers the client never sees.
    pending: deque[tuple[str, str | None]] = field(default_factory=deque)
    statements: dict[str, str] = field(default_factory=dict)  # prepared name -> text
    portals: dict[str, str] = field(default_factory=dict)  # portal name -> text
    lock: threading.Lock = field(default_factory=threading.Lock)
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    # With a watcher: the requests sent and not answered yet, in order (one at a time).
    requests: deque[Request] = field(default_factory=deque)
    # Set while no request is in flight: the next one waits, so that the proxy's own
    # queries and COMMIT go to the server between two of the client's requests.
    idle: threading.Event = field(default_factory=threading.Event)
    # The extended-protocol batch being read from the client, before it is sent.
    batch: list[wire.Message] | None = None
    batch_sent: Request | None = None  # a batch sent at a Flush, waiting for its Sync
    queued: deque[Request] = field(default_factory=deque)  # the rest of a split Query

    def __post_init__(self) -> None:
        self.idle.set()


def _connect(host: str, port: int) -> socket.socket:
    if host.startswith("/"):  # a Unix-domain socket directory, as libpq reads `host`
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(f"{host}/.s.PGSQL.{port}")
        return sock
    return _no_delay(socket.create_connection((host, port)))


def _no_delay(sock: socket.socket) -> socket.socket:
    # Each relayed message is its own send: with Nagle's algorithm on, a small send waits
    # for the peer's delayed ACK, 40 ms per statement on Linux loopback (measured: 44 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Proxy:
    """`with Proxy(host, port, observer) as proxy:` listens on `proxy.address` until the
    block ends; every connection and thread it made is closed on leaving."""

    def __init__(
        self,
        host: str,
        port: int,
        observer: Observer | None = None,
        watcher: Watcher | None = None,
        password: str | None = None,
    ) -> None:
        # `password`: the proxy asks each client for it before the server sees anything
        # (the server behind it trusts its Unix socket; the proxy's port is on loopback,
        # where any local user could reach it).
        self._password = password
        self._upstream = (host, port)
        self._observer = observer
        self._watcher = watcher
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.connections = 0  # client connections accepted (not counting cancel requests)
        self.watcher_errors: list[str] = []  # faults of the watcher's hooks, in order
        self.backend_pids: list[int] = []  # of every connection, as BackendKeyData said

    @property
    def address(self) -> tuple[str, int]:
        assert self._listener is not None
        host, port = self._listener.getsockname()[:2]
        return host, port

    def __enter__(self) -> Proxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept_loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in list(self._threads):
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._track(_no_delay(client))
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        try:
            startup = wire.read_startup(client)
            # Loopback only: encryption is declined, the client then asks in the clear.
            while startup.code in (wire.SSL_REQUEST, wire.GSSENC_REQUEST):
                client.sendall(b"N")
                startup = wire.read_startup(client)
            if startup.code == wire.CANCEL_REQUEST:
                # The key the client holds is the server's own (BackendKeyData is relayed
                # as is), so the request is forwarded unchanged on a connection of its own.
                with _connect(*self._upstream) as upstream:
                    upstream.sendall(startup.raw)
                client.close()
                return
            if self._password is not None and not self._authenticated(client):
                client.close()
                return
            upstream = self._track(_connect(*self._upstream))
        except (wire.ConnectionClosed, OSError):
            client.close()
            return
        with self._lock:
            self.connections += 1
            backend = _Backend(number=self.connections)
        # Authentication is the server's: its challenges and the client's answers are
        # relayed untouched from here on.
        upstream.sendall(startup.raw)
        self._spawn(self._client_to_server, client, upstream, backend)
        self._server_to_client(upstream, client, backend)

    def _authenticated(self, client: socket.socket) -> bool:
        """Ask the client for the password (in the clear: loopback only); a wrong one
        gets the server's own error for it."""
        assert self._password is not None
        client.sendall(wire.AUTHENTICATION + struct.pack("!ii", 8, 3))
        answer = wire.read_message(client)
        given = answer.body.rstrip(b"\0")
        if answer.kind == wire.PASSWORD and hmac.compare_digest(given, self._password.encode()):
            return True
        client.sendall(wire.error_response("FATAL", "28P01", "password authentication failed"))
        return False

    def _client_to_server(
        self, client: socket.socket, upstream: socket.socket, backend: _Backend
    ) -> None:
        try:
            while True:
                message = wire.read_message(client)
                if self._watcher is not None:
                    self._watched_send(message, upstream, backend, self._watcher)
                else:
                    self._note_sent(message, backend)
                    upstream.sendall(message.raw)
                if message.kind == wire.TERMINATE:
                    return
        except (wire.ConnectionClosed, OSError):
            return
        finally:
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_WR)

    def _note_sent(self, message: wire.Message, backend: _Backend) -> None:
        body = message.body
        with backend.lock:
            if message.kind == wire.QUERY:
                backend.pending.append(("query", wire.statement_text(message)))
            elif message.kind == wire.PARSE:
                name, _ = wire.c_string(body)
                backend.statements[name] = wire.statement_text(message) or ""
            elif message.kind == b"B":
                portal, after = wire.c_string(body)
                name, _ = wire.c_string(body, after)
                backend.portals[portal] = backend.statements.get(name, "")
            elif message.kind == b"E":
                portal, _ = wire.c_string(body)
                backend.pending.append(("execute", backend.portals.get(portal)))
            elif message.kind == b"S":
                backend.pending.append(("sync", None))

    # ---- with a watcher: one request at a time, implicit transactions made explicit ----

    def _watched_send(
        self, message: wire.Message, upstream: socket.socket, backend: _Backend, watcher: Watcher
    ) -> None:
        kind = message.kind
        if kind == wire.QUERY:
            self._wait_idle(backend)
            text = wire.statement_text(message) or ""
            parts = watcher.split(text)
            with backend.lock:
                status = backend.transaction_status
            if len(parts) > 1 and (status == "T" or (status == "I" and watcher.wrappable(parts))):
                self._send_parts(parts, status, upstream, backend, watcher)
            else:
                self._send_request([message], [text], upstream, backend, watcher)
        elif kind in wire.EXTENDED:
            if backend.batch_sent is not None:  # after a Flush: the batch is on its way
                self._note_parse(message, backend)
                with backend.lock:
                    self._note_extended(message, backend)
                if kind == wire.SYNC:
                    backend.batch_sent = None
                self._send(upstream, backend, message.raw)
                return
            if backend.batch is None and kind == wire.FLUSH:
                # A Flush alone (psycopg's pipeline sends one after its Sync) asks for
                # nothing to run: no request, and no ReadyForQuery will answer it.
                self._send(upstream, backend, message.raw)
                return
            if backend.batch is None:
                self._wait_idle(backend)
                backend.batch = []
            backend.batch.append(message)
            self._note_parse(message, backend)
            if kind in (wire.SYNC, wire.FLUSH):
                batch, backend.batch = backend.batch, None
                texts, parameters = self._batch_texts(batch, backend)
                request = self._send_request(batch, texts, upstream, backend, watcher, parameters)
                if kind == wire.FLUSH:
                    backend.batch_sent = request
        else:  # authentication, COPY data, Terminate: as they come
            self._send(upstream, backend, message.raw)

    def _call(self, hook: Callable[..., None], request: Request, *args: object) -> None:
        """A watcher's hook: whatever goes wrong in it is kept on the request, and the
        client's traffic goes on as it would without pgfence."""
        try:
            hook(request, *args)
        except Exception as exc:  # the relay must outlive any fault of the observation
            request.watcher_error = request.watcher_error or f"{type(exc).__name__}: {exc}"
            self.watcher_errors.append(request.watcher_error)

    def _wait_idle(self, backend: _Backend) -> None:
        while not backend.idle.wait(0.2):
            if self._closing.is_set():
                raise wire.ConnectionClosed

    def _note_parse(self, message: wire.Message, backend: _Backend) -> None:
        """Keep prepared statements' texts as they come (a Bind of the same batch names them)."""
        if message.kind == wire.PARSE:
            name, _ = wire.c_string(message.body)
            with backend.lock:
                backend.statements[name] = wire.statement_text(message) or ""

    def _batch_texts(
        self, batch: list[wire.Message], backend: _Backend
    ) -> tuple[list[str], list[tuple[str | None, ...]]]:
        """The text of each statement the batch executes, in order, and the parameters
        bound to it (as text; None for NULL or a binary value)."""
        portals: dict[str, tuple[str, tuple[str | None, ...]]] = {}
        texts: list[str] = []
        parameters: list[tuple[str | None, ...]] = []
        with backend.lock:
            for message in batch:
                if message.kind == wire.BIND:
                    portal, after = wire.c_string(message.body)
                    name, after = wire.c_string(message.body, after)
                    bound = wire.bind_parameters(message.body, after)
                    portals[portal] = (backend.statements.get(name, ""), bound)
                elif message.kind == wire.EXECUTE:
                    portal, _ = wire.c_string(message.body)
                    text, bound = portals.get(portal, (backend.portals.get(portal, ""), ()))
                    texts.append(text)
                    parameters.append(bound)
        return texts, parameters

    def _send_request(
        self,
        messages: list[wire.Message],
        texts: list[str],
        upstream: socket.socket,
        backend: _Backend,
        watcher: Watcher,
        parameters: list[tuple[str | None, ...]] | None = None,
    ) -> Request:
        assert self._watcher is not None
        with backend.lock:
            status = backend.transaction_status
        request = Request(backend.number, backend.pid, texts, status)
        request.parameters = parameters or [() for _ in texts]
        request.wrapped = status == "I" and bool(texts) and watcher.wrappable(texts)
        self._call(watcher.before, request)
        payload = b"".join(m.raw for m in messages)
        with backend.lock:
            backend.idle.clear()
            if request.wrapped:
                backend.pending.append(("begin", None))
            for message in messages:
                if message.kind == wire.QUERY:
                    backend.pending.append(("query", wire.statement_text(message)))
                else:
                    self._note_extended(message, backend)
            backend.requests.append(request)
        if request.wrapped:
            payload = wire.own_query("BEGIN") + payload
        self._send(upstream, backend, payload)
        return request

    def _send_parts(
        self,
        parts: list[str],
        status: str,
        upstream: socket.socket,
        backend: _Backend,
        watcher: Watcher,
    ) -> None:
        """A Query of several statements in a transaction (or in the implicit one, made
        explicit): one at a time, the server's ReadyForQuery between them kept from the
        client; after an error the rest is dropped, as the server would skip it."""
        wrapped = status == "I"
        requests = [
            Request(
                backend.number,
                backend.pid,
                [part],
                status if i == 0 else "T",
                wrapped=wrapped,
                more=len(parts) - 1 - i,
            )
            for i, part in enumerate(parts)
        ]
        with backend.lock:
            backend.queued.extend(requests[1:])
        self._dispatch(requests[0], upstream, backend, watcher, begin=wrapped)

    def _dispatch(
        self,
        request: Request,
        upstream: socket.socket,
        backend: _Backend,
        watcher: Watcher,
        *,
        begin: bool,
    ) -> None:
        """Send one statement of a split Query (`begin`: after the proxy's BEGIN)."""
        self._call(watcher.before, request)
        text = request.statements[0]
        with backend.lock:
            backend.idle.clear()
            if begin:
                backend.pending.append(("begin", None))
            backend.pending.append(("query", text))
            backend.requests.append(request)
        payload = wire.query_message(text)
        if begin:
            payload = wire.own_query("BEGIN") + payload
        self._send(upstream, backend, payload)

    def _note_extended(self, message: wire.Message, backend: _Backend) -> None:
        """As _note_sent, for a batch's message (the caller holds the backend's lock)."""
        body = message.body
        if message.kind == wire.BIND:
            portal, after = wire.c_string(body)
            name, _ = wire.c_string(body, after)
            backend.portals[portal] = backend.statements.get(name, "")
        elif message.kind == wire.EXECUTE:
            portal, _ = wire.c_string(body)
            backend.pending.append(("execute", backend.portals.get(portal)))
        elif message.kind == wire.SYNC:
            backend.pending.append(("sync", None))

    def _send(self, upstream: socket.socket, backend: _Backend, payload: bytes) -> None:
        with backend.send_lock:
            upstream.sendall(payload)

    def _server_to_client(
        self, upstream: socket.socket, client: socket.socket, backend: _Backend
    ) -> None:
        try:
            while True:
                message = wire.read_message(upstream)
                if self._watcher is not None:
                    self._watched_receive(message, upstream, client, backend, self._watcher)
                    continue
                completion = self._note_received(message, backend)
                if completion is not None and self._observer is not None:
                    # The client has not seen the completion yet: the backend still holds
                    # what the statement took, for the observer to look at.
                    self._observer(completion)
                client.sendall(message.raw)
        except (wire.ConnectionClosed, OSError):
            return
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    def _note_received(self, message: wire.Message, backend: _Backend) -> Completion | None:
        kind = message.kind
        with backend.lock:
            pending = backend.pending
            if kind == wire.BACKEND_KEY_DATA:
                (backend.pid,) = struct.unpack("!i", message.body[:4])
                self.backend_pids.append(backend.pid)
            elif kind == wire.COMMAND_COMPLETE:
                head = pending[0] if pending else ("query", None)
                if head[0] == "execute":
                    pending.popleft()
                return Completion(
                    connection=backend.number,
                    backend_pid=backend.pid,
                    statement=head[1],
                    tag=wire.c_string(message.body)[0],
                    transaction_status=backend.transaction_status,
                )
            elif kind in (b"I", b"s") and pending and pending[0][0] == "execute":
                pending.popleft()
            elif kind == wire.ERROR_RESPONSE and pending and pending[0][0] == "execute":
                # After an error the server skips the rest of the batch up to its Sync.
                while pending and pending[0][0] == "execute":
                    pending.popleft()
            elif kind == wire.READY_FOR_QUERY:
                backend.transaction_status = chr(message.body[0])
                while pending:
                    item, _ = pending.popleft()
                    if item in ("query", "sync"):
                        break
        return None

    def _watched_receive(
        self,
        message: wire.Message,
        upstream: socket.socket,
        client: socket.socket,
        backend: _Backend,
        watcher: Watcher,
    ) -> None:
        kind = message.kind
        with backend.lock:
            injected = bool(backend.pending) and backend.pending[0][0] == "begin"
        if injected:  # the answers to the proxy's own BEGIN: the client never sees them
            if kind == wire.READY_FOR_QUERY:
                with backend.lock:
                    backend.pending.popleft()
                    backend.transaction_status = chr(message.body[0])
            return
        request = backend.requests[0] if backend.requests else None
        if kind == wire.ERROR_RESPONSE and request is not None:
            request.error = request.error or wire.error_fields(message)
        completion = self._note_received(message, backend)
        if completion is not None and request is not None:
            request.completions.append(completion)
            if self._observer is not None:
                self._observer(completion)
        if kind != wire.READY_FOR_QUERY or request is None:
            client.sendall(message.raw)
            return
        # The request is answered; the client waits for this ReadyForQuery.
        with backend.lock:
            backend.requests.popleft()
        request.status_after = chr(message.body[0])
        with backend.lock:
            following = backend.queued.popleft() if backend.queued else None
            if request.status_after != "T":  # an error: the server would skip the rest
                backend.queued.clear()
                following = None
                request.more = 0
        session = SessionQuery(upstream, backend)
        try:
            self._call(watcher.after, request, session)
        finally:
            self._answer(request, following, message, session, client, backend, watcher)

    def _answer(
        self,
        request: Request,
        following: Request | None,
        ready: wire.Message,
        session: SessionQuery,
        client: socket.socket,
        backend: _Backend,
        watcher: Watcher,
    ) -> None:
        """After a request was observed: send the next statement of its Query, or end the
        transaction the proxy opened and tell the client (ReadyForQuery)."""
        if following is not None:  # the next statement of the same Query
            self._dispatch(following, session.upstream, backend, watcher, begin=False)
            return
        if request.wrapped:
            # The transaction the proxy opened: committed as the implicit one would
            # have been (rolled back after an error), then the client is told "idle";
            # a COMMIT that fails (a deferred constraint) fails the statement, as the
            # implicit transaction's would.
            failed = session.end("COMMIT" if request.status_after == "T" else "ROLLBACK")
            if failed is not None:
                client.sendall(failed.raw)
            if request.more == 0:
                error = wire.error_fields(failed) if failed is not None else None
                self._call(watcher.ended, request, error)
            ready = wire.ready_for_query(backend.transaction_status)
        client.sendall(ready.raw)
        with backend.lock:
            if not backend.requests:
                backend.idle.set()
