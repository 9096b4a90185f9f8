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
