"""One error hierarchy; the CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class PgfenceError(Exception):
    """Base of every error pgfence reports to the user (never with a traceback)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}{self.message}"


class BadInput(PgfenceError):
    """The user pointed us at something we cannot read: missing, binary, not UTF-8, …"""

    exit_code = 2


class UsageError(PgfenceError):
    """Options that contradict each other or name something unknown."""

    exit_code = 2


class ServerError(PgfenceError):
    """A Postgres server could not be started, found or reached."""

    exit_code = 3


def connection_lost(exc: BaseException) -> ServerError | None:
    """The ServerError for a psycopg error that means a server connection is gone (the
    server stopped or was killed, or ended one of pgfence's sessions from outside); None
    for any other exception. psycopg is looked at only if it was imported."""
    import sys

    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return None
    pgconn = getattr(exc, "pgconn", None)
    broken = pgconn is None or pgconn.status != psycopg.pq.ConnStatus.OK
    ended = isinstance(exc, psycopg.errors.AdminShutdown | psycopg.errors.CrashShutdown)
    if not (broken or ended or "connection is closed" in str(exc)):
        return None
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return ServerError(
        f"the connection to the server was lost ({reason}): the server stopped, or one of "
        "pgfence's sessions was ended from outside"
    )
