"""A server the user already runs (--dsn).

It is read, and written to only inside one transaction that is always rolled back.
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import make_conninfo

from pgfence.dryrun import queries
from pgfence.dryrun.servers.base import Server
from pgfence.dsn import bad_dsn, check, connect, first_line, redact  # one place for them all
from pgfence.errors import ServerError
from pgfence.model import ROLLED_BACK_WARNING

__all__ = ["ROLLED_BACK_WARNING", "ExistingServer", "bad_dsn", "connect", "first_line", "redact"]


# Said whenever a dry-run runs on a server pgfence did not start (the words: even a
# rolled-back DDL holds its locks while it runs).


class ExistingServer(Server):
    backend = "dsn"
    throwaway = False

    def __init__(self, dsn: str, *, connect_timeout: int = 10) -> None:
        check(dsn, "--dsn")
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
