"""One interface for every Postgres pgfence runs migrations on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from pgfence.model import ServerInfo


class Server(ABC):
    """A Postgres server: started (and later stopped) by us, or an existing one.

    Use it as a context manager: the server is stopped and its files removed on leaving
    the block, whether it ends normally, with an error, Ctrl-C or SIGTERM.
    """

    backend: str
    # Throwaway servers we started may commit and run anything; an existing server given
    # by the user (--dsn) is only ever written to inside a transaction that is rolled back.
    throwaway: bool = True

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def dsn(self, dbname: str | None = None, *, superuser: bool = False) -> str:
        """A libpq connection string for `dbname` (the server's default database if None).

        On a throwaway server pgfence starts, the migration's role: it owns the databases
        it makes (and `postgres`) but is no superuser (roles.py). `superuser=True` is for
        what pgfence itself must do as one (an extension that is not trusted, roles on
        PostgreSQL 14 and 15); never hand it a migration's SQL. On an existing server
        (--dsn) both are the user's own connection string: pgfence never asks for more.
        """

    def superuser_dsn(self, dsn: str) -> str:
        """`dsn` (one of this server's) as the superuser, same database."""
        from psycopg.conninfo import conninfo_to_dict

        dbname = conninfo_to_dict(dsn).get("dbname")
        return self.dsn(None if dbname is None else str(dbname), superuser=True)

    @property
    @abstractmethod
    def version(self) -> str:
        """The full server version, e.g. "18.6"."""

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def info(self) -> ServerInfo:
        return ServerInfo(version=self.version, major=self.major, backend=self.backend)

    @property
    def bin_dir(self) -> str | None:
        """Where this server's client programs (pg_dump) are, if we know."""
        return None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
