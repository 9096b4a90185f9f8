"""The fences around a dry-run on a server pgfence did not start (`--dsn`).

The promise: nothing is ever committed there, nothing that survives a rollback runs
there, and the migration's locks are never held longer than pgfence's caps allow, even
when the migration tries to lift them or pgfence itself is killed.

- One transaction, opened by pgfence; every statement goes through the extended query
  protocol (probe.OneStatementCursor), so the server refuses a text of several
  statements; after each statement the session's transaction status is checked, and a
  run whose transaction is not the one pgfence opened stops at once.
- Statements that may leave a lasting trace (lasting.py), that do not parse, that
  pgfence cut differently from the server, or whose strings the server would read
  differently (standard_conforming_strings) are not sent.
- The caps are set on the server side as well (statement_timeout,
  idle_in_transaction_session_timeout, client_connection_check_interval), so a killed
  pgfence cannot leave a statement running with its locks; they are set again after every
  statement, so a `SET lock_timeout = 0`, `RESET ALL` or `SET SESSION AUTHORIZATION` of
  the migration lifts them for no later statement; and a lock wait longer than the
  lock cap is cancelled by the watchdog whatever the session's lock_timeout says.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
import psycopg
from psycopg.pq import TransactionStatus

from pgfence.dryrun.lasting import CatalogLookup, lasting_effect
from pgfence.dryrun.probe import LockCap, Sessions
from pgfence.model import Statement
from pgfence.pg.features import CLIENT_CONNECTION_CHECK_INTERVAL

# How long the migration's session may sit idle inside its transaction (between two of
# its statements pgfence only reads pg_locks): past this, a pgfence that died leaves no
# transaction holding locks behind.
IDLE_IN_TRANSACTION_S = 10.0
# The server's own statement_timeout is a little longer than the client's watchdog, which
# normally cancels first; it is there for when pgfence is gone.
SERVER_TIMEOUT_MARGIN_S = 5.0
CONNECTION_CHECK_S = 1.0  # client_connection_check_interval (PostgreSQL 14+)

# Set again after every statement: the smaller of the session's value and pgfence's cap
# (0 means "no timeout" to Postgres, so it counts as larger than any cap).
_CAP = """set_config(%(name)s, CASE
    WHEN current_setting(%(name)s)::interval > '0'::interval
     AND current_setting(%(name)s)::interval <= %(cap)s::text::interval
    THEN current_setting(%(name)s) ELSE %(cap)s::text END, true)"""
_NAMES = ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")
REASSERT = "SELECT " + ", ".join(
    _CAP.replace("%(name)s", f"%({n})s").replace("%(cap)s", f"%({n}_cap)s") for n in _NAMES
)


@dataclass
class ExistingServerGuard:
    sessions: Sessions
    lock_timeout_s: float
    statement_timeout_s: float
    major: int

    def __post_init__(self) -> None:
        self.lookup = CatalogLookup(self.sessions.migration)
        server_timeout_ms = int((self.statement_timeout_s + SERVER_TIMEOUT_MARGIN_S) * 1000)
        self._caps = {
            "lock_timeout": "lock_timeout",
            "lock_timeout_cap": f"{int(self.lock_timeout_s * 1000)}ms",
            "statement_timeout": "statement_timeout",
            "statement_timeout_cap": f"{server_timeout_ms}ms",
            "idle_in_transaction_session_timeout": "idle_in_transaction_session_timeout",
            "idle_in_transaction_session_timeout_cap": f"{int(IDLE_IN_TRANSACTION_S * 1000)}ms",
        }

    @property
    def lock_cap(self) -> LockCap:
        return LockCap(self.sessions.probe, self.sessions.migration_pid, self.lock_timeout_s)

    def begin(self) -> None:
        """Open the one transaction of the run, with the caps set on the server."""
        conn = self.sessions.migration
        conn.execute("BEGIN")
        if CLIENT_CONNECTION_CHECK_INTERVAL.on(self.major):
            conn.execute(
                "SELECT set_config('client_connection_check_interval', %s, true)",
                (f"{int(CONNECTION_CHECK_S * 1000)}ms",),
            )
        self.reassert()

    def reassert(self) -> None:
        """Put the caps back, whatever the last statement set (when its transaction is
        still usable: after a failure nothing more runs anyway)."""
        if self.sessions.migration.info.transaction_status is TransactionStatus.INTRANS:
            self.sessions.migration.execute(REASSERT, self._caps)

    def refusal(self, statement: Statement) -> str | None:
        """Why `statement` is not sent to this server, or None."""
        if statement.refused is not None:
            return statement.refused
        if statement.node is None:
            return "does not parse: on an existing server pgfence sends only what it has read"
        if not _reads_as(statement):
            return (
                "the text to be sent is not the one statement pgfence analysed: refused "
                "(on an existing server every text is parsed again just before it is sent)"
            )
        if statement.needs_standard_strings and not standard_strings_on(self.sessions.migration):
            return STANDARD_STRINGS_OFF
        lasting = lasting_effect(statement.node, self.lookup)
        if lasting is not None:
            return f"not run on an existing server: {lasting}"
        return None

    def transaction_lost(self) -> str | None:
        """After a statement: is the transaction pgfence opened still the session's?"""
        return transaction_lost(
            self.sessions.migration, "the transaction pgfence opened on the existing server"
        )


def transaction_lost(conn: psycopg.Connection, which: str) -> str | None:
    """After a statement run in transaction `which`: None while it is open (or failed,
    awaiting its rollback), else why the run stops at once."""
    status = conn.info.transaction_status
    if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        return None
    return (
        f"{which} is no longer open after this statement (session status {status.name}): "
        "the run stopped at once"
    )


STANDARD_STRINGS_OFF = (
    "a '…' string here holds a backslash, and the server has standard_conforming_strings "
    "off: it would read the statement differently from pgfence; refused"
)


def _reads_as(statement: Statement) -> bool:
    """Parsing the very text about to be sent gives one statement, of the kind that was
    analysed: nothing between the source stage and the wire changed what runs."""
    try:
        parsed = pglast.parse_sql(statement.sql)
    except pglast.parser.ParseError:
        return False
    return len(parsed) == 1 and type(parsed[0].stmt) is type(statement.node)


def standard_strings_on(conn: psycopg.Connection) -> bool:
    """What the server last reported of standard_conforming_strings (ParameterStatus)."""
    return conn.info.parameter_status("standard_conforming_strings") != "off"
