"""A server the user already runs (--dsn).

It is read, and written to only inside one transaction that is always rolled back.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgfence.dryrun import queries
from pgfence.dryrun.servers.base import Server
from pgfence.errors import ServerError, UsageError


def redact(dsn: str) -> str:
    """The connection string without its password, fit for messages."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparseable connection string)"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo(**{k: str(v) for k, v in params.items()})


def bad_dsn(option: str, dsn: str, exc: BaseException) -> UsageError:
    """`option`'s connection string does not parse: one line, without the string itself
    (libpq quotes it whole, password included)."""
    reason = first_line(exc).replace(dsn, "…")
    return UsageError(f"{option}: not a valid connection string: {reason}")


# Parameters libpq reads as numbers; psycopg reads connect_timeout itself, and a value
# that is none fails there with a ValueError, not as a connection string error.
_NUMERIC = ("connect_timeout", "port", "keepalives", "keepalives_idle")


def check_numbers(option: str, params: dict[str, Any]) -> None:
    """A usage error for a connection parameter that must be a number and is not."""
    for name in _NUMERIC:
        value = params.get(name)
        if value is None:
            continue
        parts = str(value).split(",") if name == "port" else [str(value)]
        if not all(not part.strip() or part.strip().isdigit() for part in parts):
            raise UsageError(f"{option}: {name} must be a whole number, not {str(value)!r}")


def first_line(exc: BaseException) -> str:
    """An error's first line (psycopg's messages add context lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(
    dsn: str, option: str, application_name: str, *, timeout: int = 10
) -> psycopg.Connection[Any]:
    """An autocommit session on a server the user runs; a malformed or unreachable
    connection string is a one-line error naming `option`, without the password."""
    try:
        return psycopg.connect(
            dsn, autocommit=True, connect_timeout=timeout, application_name=application_name
        )
    except psycopg.ProgrammingError as exc:
        raise bad_dsn(option, dsn, exc) from None
    except psycopg.Error as exc:
        raise ServerError(f"{option}: cannot reach {redact(dsn)}: {first_line(exc)}") from None


# Said whenever a dry-run runs on a server pgfence did not start (the words: even a
# rolled-back DDL holds its locks while it runs).
ROLLED_BACK_WARNING = (
    "on an existing server everything is rolled back, but each statement's locks are real "
    "while it runs: sessions using those tables wait for it (point --dsn at a staging copy, "
    "not production)"
)


class ExistingServer(Server):
    backend = "dsn"
    throwaway = False

    def __init__(self, dsn: str, *, connect_timeout: int = 10) -> None:
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise bad_dsn("--dsn", dsn, exc) from None
        check_numbers("--dsn", params)
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._version: str | None = None

    def start(self) -> None:
        with connect(self._dsn, "--dsn", "pgfence", timeout=self._connect_timeout) as conn:
            try:
                row = conn.execute(queries.SERVER_VERSION).fetchone()
            except psycopg.Error as exc:
                raise ServerError(f"--dsn: {redact(self._dsn)}: {first_line(exc)}") from None
        assert row is not None
        self._version = str(row[0]).split()[0]

    def stop(self) -> None:
        pass

    def dsn(self, dbname: str | None = None, *, superuser: bool = False) -> str:
        # `superuser` changes nothing: on the user's server pgfence has the user's role only.
        if dbname is None:
            return self._dsn
        return make_conninfo(self._dsn, dbname=dbname)

    @property
    def version(self) -> str:
        if self._version is None:
            raise ServerError("the server has not been reached yet")
        return self._version
