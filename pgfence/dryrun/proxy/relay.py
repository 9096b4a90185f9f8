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
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

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
class _Backend:
    """What the relay knows of one connection's backend."""

    number: int
    pid: int | None = None
    transaction_status: str = "I"
    # Statements sent and not yet answered, in order: ("query"|"execute"|"sync", text).
    pending: deque[tuple[str, str | None]] = field(default_factory=deque)
    statements: dict[str, str] = field(default_factory=dict)  # prepared name -> text
    portals: dict[str, str] = field(default_factory=dict)  # portal name -> text
    lock: threading.Lock = field(default_factory=threading.Lock)


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

    def __init__(self, host: str, port: int, observer: Observer | None = None) -> None:
        self._upstream = (host, port)
        self._observer = observer
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.connections = 0  # client connections accepted (not counting cancel requests)

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

    def _client_to_server(
        self, client: socket.socket, upstream: socket.socket, backend: _Backend
    ) -> None:
        try:
            while True:
                message = wire.read_message(client)
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

    def _server_to_client(
        self, upstream: socket.socket, client: socket.socket, backend: _Backend
    ) -> None:
        try:
            while True:
                message = wire.read_message(upstream)
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
