"""The static analyses of a dry-run's statements, made ahead in a forked process while
the statements run.

A dry-run predicts and checks each statement (the walker, with the schema the earlier ones
left) just before it runs it: a tenth of a history's run (bench/history.py: 0.57 of
5.5 s), spent while the server waits. Forked when the run starts, a process of its own
walks every statement as `analyze` does (`StatementWalker.walk`), each with the
statements of its transaction before it, and sends their analyses pickled, a few at a
time; on the other core it keeps ahead of the run, which only unpickles them.

An analysis is taken only if it was made with the transaction the run has when the
statement comes (the statements that ran in it, by their place in the run): after a
failure or a ROLLBACK TO the two differ, and from there the run analyses each statement
itself, its walker first following the statements whose analyses it took. A worker that
fails or ends is the same: the run goes on by itself. The report is the same either way.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import select
import signal
import threading
import warnings
from collections.abc import Sequence
from typing import NoReturn

from pgfence.analysis.analyze import StatementAnalysis, StatementWalker
from pgfence.analysis.rule import StatementWindow
from pgfence.model import Migration, Statement

# From this many statements a run forks the worker (forking a dry-run's process, with its
# connections and parsed files, costs a few milliseconds; a statement's analysis 0.2 ms).
AHEAD_FROM = 200

# How long the run waits for the worker's next analyses (a batch takes milliseconds).
WAIT_S = 5.0
# Analyses sent at a time: the run waits for no more than these at the start of a file.
BATCH = 32
# The pipe holds this much (Linux; 64 KiB otherwise): the worker keeps that far ahead
# (about 1,500 statements' analyses) while the run is busy with a long transaction.
PIPE_BYTES = 1 << 20

# Consecutive analyses: each with the statements before it in its transaction as the
# worker took them (the first one's place in the run, and how many).
_Batch = list[tuple[StatementAnalysis, tuple[int, int]]]


def safe_to_fork() -> bool:
    """Forking is left to the main thread, with no thread but pgfence's own beside it: a
    process forked while another thread holds a lock can wait for it for ever (several
    majors at once run in threads; an application or a test suite may run its own)."""
    main = threading.main_thread()
    return threading.current_thread() is main and all(
        thread is main or thread.name.startswith("pgfence-") for thread in threading.enumerate()
    )


class Ahead:
    """The worker's analyses, taken in the run's order by `take`."""

    def __init__(self, migrations: Sequence[Migration], walker: StatementWalker) -> None:
        statements = [s for m in migrations for s in m.statements]
        self._place = {id(s): n for n, s in enumerate(statements)}
        self._walker = walker
        self._taken: list[Statement] = []  # the walker has not followed them yet
        self._batch: _Batch = []
        self._next = 0  # in `_batch`
        self._pid = 0
        self._pipe: int | None = None  # the descriptor the worker's analyses come by
        readable, writable = os.pipe()
        with contextlib.suppress(AttributeError, OSError):  # not Linux, or above its maximum
            fcntl.fcntl(writable, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        gc.freeze()  # the worker never collects (nor finalizes) what the run holds
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns of a fork while other threads run: here only pgfence's
                # own (`safe_to_fork`), and nothing the worker does waits for them.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no process to spare: the run analyses by itself
            os.close(readable)
            os.close(writable)
            gc.unfreeze()
            return
        if pid == 0:
            os.close(readable)
            _work(writable, migrations, walker, self._place)
        os.close(writable)
        self._pid, self._pipe = pid, readable

    def take(self, statement: Statement, earlier: StatementWindow) -> StatementAnalysis | None:
        """The worker's analysis of `statement`, the next of the run, if it was made with
        `earlier` (the statements before it in its transaction as the run has them); else
        None, and from then on always None: the walker has followed what was taken."""
        if self._pipe is None:
            return None
        if self._next == len(self._batch):
            self._batch, self._next = self._read(), 0
        if self._next < len(self._batch):
            analysis, assumed = self._batch[self._next]
            if self._same(assumed, earlier):
                self._next += 1
                self._taken.append(statement)
                return analysis
        self.close()
        for taken in self._taken:
            self._walker.follow(taken)
        self._taken = []
        return None

    def _same(self, assumed: tuple[int, int], earlier: StatementWindow) -> bool:
        """Is `earlier` the run of `assumed` (first place, count)? The run's statements of
        a transaction come in the order they ran, so it is when the count, the first and
        the last agree (checking each cost a long transaction's statements each)."""
        first, count = assumed
        if len(earlier) != count:
            return False
        place = self._place.get
        return not count or (
            place(id(earlier[0])) == first and place(id(earlier[-1])) == first + count - 1
        )

    def close(self) -> None:
        """Stop the worker (it may be writing what nobody reads any more)."""
        if self._pipe is None:
            return
        os.close(self._pipe)
        self._pipe = None
        os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        gc.unfreeze()

    def _read(self) -> _Batch:
        assert self._pipe is not None
        try:
            size = int.from_bytes(_exactly(self._pipe, 8), "big")
            failed, batch = pickle.loads(_exactly(self._pipe, size))
        except (EOFError, pickle.UnpicklingError):
            return []
        return [] if failed else batch


def _exactly(fd: int, size: int) -> bytes:
    """`size` bytes from the worker's pipe; EOFError if it ends first, or if it sends
    nothing for WAIT_S (one forked while another thread held a lock it then waits for
    could wait for ever)."""
    chunks, left = [], size
    while left:
        ready, _, _ = select.select([fd], [], [], WAIT_S)
        chunk = os.read(fd, min(left, PIPE_BYTES)) if ready else b""
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _work(
    writable: int,
    migrations: Sequence[Migration],
    walker: StatementWalker,
    place: dict[int, int],
) -> NoReturn:
    """The worker: every statement's analysis, in order, BATCH at a time, each batch a
    length-prefixed pickle; (True, None) after an error. Out by os._exit: nothing of the
    run's (its sessions, its server) is closed or cleaned up here."""
    gc.disable()
    try:
        with os.fdopen(writable, "wb") as pipe:
            try:
                batch: _Batch = []
                for analysis, earlier in walker.walk(migrations):
                    batch.append((analysis, _run_of(earlier, place)))
                    if len(batch) == BATCH:
                        _send(pipe, (False, batch))
                        batch = []
                _send(pipe, (False, batch))
            except Exception:  # the run analyses the rest itself
                _send(pipe, (True, None))
    finally:
        os._exit(0)


def _run_of(earlier: StatementWindow, place: dict[int, int]) -> tuple[int, int]:
    """(first place, count) of a transaction's statements so far: consecutive in the run,
    as a tool's or a BEGIN's statements are; (-1, -1), which no run matches, otherwise."""
    if not earlier:
        return (0, 0)
    first, last = place[id(earlier[0])], place[id(earlier[-1])]
    return (first, len(earlier)) if last - first + 1 == len(earlier) else (-1, -1)


def _send(pipe: object, message: tuple[bool, object]) -> None:
    blob = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    pipe.write(len(blob).to_bytes(8, "big") + blob)  # type: ignore[attr-defined]
    pipe.flush()  # type: ignore[attr-defined]
