"""The migration's session, which may prepare pgfence's own queries and nothing else.

psycopg's prepared statements cannot be used there: with a prepared statement in its
cache, psycopg answers every DROP, ALTER or ROLLBACK the migration runs with a
`DEALLOCATE ALL` of its own, sent in the migration's transaction (and the statement is
prepared again afterwards). pgfence's own query is prepared through libpq under a name
of its own instead; the migration's statements are never prepared (`probe.connect`
turns psycopg's preparing off on this session). The probe's session prepares its queries
the same way (`PreparingSession`): through libpq they cost the client less than through
psycopg's cursor, run after every statement.
"""

from __future__ import annotations

import contextlib
import re
import select
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import Transformer

# Command tags of statements that drop a session's prepared statements (DISCARD ALL,
# DISCARD PLANS keeps them, but is counted too: nothing is lost by preparing again).
_DROPS_PREPARED = ("DEALLOCATE", "DISCARD")
_NAMES_DROP = re.compile(r"\b(deallocate|discard)\b", re.IGNORECASE)


class PreparingSession(psycopg.Connection[Any]):
    """A psycopg connection that runs some of pgfence's queries as prepared statements
    (`run_prepared`), each prepared once per session under a name no one else uses (on
    `--dsn` the server's sessions may be pooled), through libpq rather than psycopg's
    cursor (the probe's query after every statement)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pgfence_prepared: dict[str, bytes] = {}
        self._pgfence_names = f"pgfence_{uuid.uuid4().hex[:12]}_"

    def run_prepared(self, query: str, params: Sequence[str]) -> list[tuple[Any, ...]]:
        """Rows of `query` (psycopg's `%s` placeholders, each given as the text of its
        value, typed by a cast in the query or by what it is compared with there),
        prepared the first time it is run."""
        encoding = self.info.encoding
        with self.lock:
            name = self._prepared_name(query)
            result = self.pgconn.exec_prepared(name, [p.encode(encoding) for p in params])
            return self._rows(result)

    @contextlib.contextmanager
    def prepared_meanwhile(self, query: str, params: Sequence[str]) -> Iterator[Answer]:
        """`run_prepared`, sent when the block starts and read when it ends: the caller
        works meanwhile (another session's query) while the server runs this one."""
        pgconn, encoding = self.pgconn, self.info.encoding
        answer = Answer()
        with self.lock:
            name = self._prepared_name(query)
            pgconn.send_query_prepared(name, [p.encode(encoding) for p in params])
            while pgconn.flush():  # what the socket did not take at once
                select.select([], [pgconn.socket], [])
            results = []
            try:
                yield answer
            finally:  # the session is drained whatever happened meanwhile
                while (result := pgconn.get_result()) is not None:
                    results.append(result)
            if not results:
                raise errors.OperationalError(pgconn.get_error_message(encoding))
            answer.rows = self._rows(results[0])

    def _prepared_name(self, query: str) -> bytes:
        name = self._pgfence_prepared.get(query)
        if name is None:
            name = f"{self._pgfence_names}{len(self._pgfence_prepared)}".encode()
            encoding = self.info.encoding
            _check(self.pgconn.prepare(name, _numbered(query).encode(encoding)), encoding)
            self._pgfence_prepared[query] = name
        return name

    def _rows(self, result: pq.abc.PGresult) -> list[tuple[Any, ...]]:
        if self.pgconn.status != pq.ConnStatus.OK:  # the session is gone, as psycopg says it
            message = self.pgconn.get_error_message(self.info.encoding)
            raise errors.OperationalError(message or "the connection was lost")
        _check(result, self.info.encoding)
        loader = Transformer(self)
        loader.set_pgresult(result)
        return loader.load_rows(0, result.ntuples, tuple)


class MigrationSession(PreparingSession):
    """The migration's session: its own DEALLOCATE ALL or DISCARD drops pgfence's prepared
    statements too, which are then prepared again."""

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool = False,
    ) -> psycopg.Cursor[Any]:
        cursor = super().execute(query, params, prepare=prepare, binary=binary)
        # The migration's own DEALLOCATE ALL or DISCARD ALL drops pgfence's statements too,
        # also when a DO block or a function it defines and calls runs it (EXECUTE): any
        # statement whose text names either is taken to have (preparing again costs less
        # than a name the server no longer knows, which would abort the transaction).
        if self._pgfence_prepared and (
            (cursor.statusmessage or "").startswith(_DROPS_PREPARED)
            or _NAMES_DROP.search(str(query))
        ):
            self._pgfence_prepared.clear()
        return cursor


@dataclass
class Answer:
    """The rows of a query `PreparingSession.prepared_meanwhile` sent, once read."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _numbered(query: str) -> str:
    """psycopg's `%s` placeholders as the server's `$1`, `$2`, … (and its `%%` as `%`)."""
    parts = [part.replace("%%", "%") for part in query.split("%s")]
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


def _check(result: pq.abc.PGresult, encoding: str) -> None:
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        raise errors.error_from_result(result, encoding=encoding)
