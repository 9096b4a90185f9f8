"""Connection strings the user gives (--dsn, --schema-from, --stats-from, stats --dsn).

Every message, report and progress line that names a server shows it through `redact`,
and every error about one goes through `bad_dsn` or `connect`: none of them may carry a
password or another secret of the string, whether it parses or not.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgfence.errors import ServerError, UsageError

# libpq parameters that are secrets (scram_*_key, oauth_client_secret: libpq 18); any
# parameter whose name says password or secret is treated as one too.
SECRET_PARAMETERS = frozenset(
    {"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"}
)
_SECRET_WORDS = ("password", "secret", "scram_")
MASK = "***"
UNPARSEABLE = "(a connection string that does not parse)"
_QUOTED = re.compile(r'"([^"]*)"')


def is_secret(parameter: str) -> bool:
    name = parameter.lower()
    return name in SECRET_PARAMETERS or any(word in name for word in _SECRET_WORDS)


def redact(dsn: str) -> str:
    """The connection string with every secret masked, fit for messages and reports.

    One that does not parse is not shown at all: where its password ends cannot be known.
    """
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return UNPARSEABLE
    return make_conninfo(**{k: MASK if is_secret(k) else str(v) for k, v in params.items()})


def secrets_of(dsn: str) -> list[str]:
    """The secret values of a connection string that parses (none for one that does not)."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return []
    return [str(v) for k, v in params.items() if is_secret(k) and v]


def scrub(text: str, dsn: str) -> str:
    """`text` (a server's or a tool's message) with the connection string and its secrets
    masked, in case the message echoes them (libpq and Postgres do not, as far as known:
    this is a second line of defence). A secret shorter than four characters is left
    alone: masking every "a" of a message would make it unreadable and hide nothing."""
    text = text.replace(dsn, "…") if dsn else text
    for secret in sorted(secrets_of(dsn), key=len, reverse=True):
        if len(secret) >= _SHORTEST_SCRUBBED:
            text = text.replace(secret, MASK)
    return text


_SHORTEST_SCRUBBED = 4


def bad_dsn(option: str, dsn: str, exc: BaseException) -> UsageError:
    """`option`'s connection string does not parse: one line, without the string itself.

    libpq quotes pieces of the string in its reason (`missing "=" after "cret"`, `invalid
    percent-encoded token: "p%zz"`), and a piece may be part of the password: a quoted
    piece is kept only when it is a parameter name or appears only before anything secret.
    """
    reason = first_line(exc).replace(dsn, "…")
    start = _secret_start(dsn)

    def keep_or_mask(match: re.Match[str]) -> str:
        piece = match.group(1)
        before = bool(piece) and piece in dsn[:start] and piece not in dsn[start:]
        return match.group(0) if before or piece in _keywords() or piece == "=" else '"…"'

    reason = _QUOTED.sub(keep_or_mask, reason)
    return UsageError(f"{option}: not a valid connection string: {reason}")


def _secret_start(dsn: str) -> int:
    """Where the first secret of an unparsed string may begin (its end: none)."""
    lowered = dsn.lower()
    starts = [lowered.find(word) for word in _SECRET_WORDS if word in lowered]
    scheme = lowered.find("://")
    if scheme >= 0 and "@" in dsn[scheme:]:
        colon = dsn.find(":", scheme + 3)  # user:password@ (or host:port, to be safe)
        if colon >= 0:
            starts.append(colon)
    return min(starts, default=len(dsn))


@cache
def _keywords() -> frozenset[str]:
    return frozenset(o.keyword.decode() for o in pq.Conninfo.get_defaults())


def check(dsn: str, option: str) -> dict[str, Any]:
    """The parameters of `option`'s connection string; a UsageError if it does not parse
    or a parameter that must be a number is not one."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise bad_dsn(option, dsn, exc) from None
    check_numbers(option, params)
    return params


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
    connection string is a one-line error naming `option`, without any secret."""
    try:
        return psycopg.connect(
            dsn, autocommit=True, connect_timeout=timeout, application_name=application_name
        )
    except psycopg.ProgrammingError as exc:
        raise bad_dsn(option, dsn, exc) from None
    except psycopg.Error as exc:
        raise ServerError(
            f"{option}: cannot reach {redact(dsn)}: {scrub(first_line(exc), dsn)}"
        ) from None
