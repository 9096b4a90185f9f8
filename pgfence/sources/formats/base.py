"""What every migration format shares: the files one PATH names, and building Statements.

A format turns a `Target` (the files one command-line PATH names) into `Migration`s. SQL
families read their files as psql scripts; ORM formats translate calls into the SQL the
tool would send and place each statement at the call that produced it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pgfence.checks import Check, Hit, raised
from pgfence.checks.inputs import Unanalysable
from pgfence.errors import BadInput
from pgfence.model import (
    AUTOCOMMIT,
    Finding,
    Location,
    Migration,
    Statement,
    Transaction,
    TxScope,
)
from pgfence.sources import checks
from pgfence.sources.files import (
    DEFAULT_MAX_BYTES,
    glob_files,
    natural_key,
    open_head,
    read_text,
    walk_files,
)
from pgfence.sources.limits import Budget, LimitExceeded
from pgfence.sources.sql import BlockCounter, ignored_rules, parse_one, split_script

# Directories no migration lives in; searching them would only slow detection down.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", ".venv", "dist-types"})
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Target:
    """The files one command-line PATH names: a file, a directory's tree, or a glob."""

    arg: str
    directory: Path | None  # the PATH itself when it is a directory
    files: tuple[str, ...]  # every regular file, naturally sorted (directories: recursively)

    def with_suffix(self, *suffixes: str) -> list[str]:
        return [f for f in self.files if f.endswith(suffixes)]

    @property
    def explicit_file(self) -> bool:
        """The PATH names one file: take it whatever its name."""
        return self.directory is None and len(self.files) == 1 and self.files[0] == self.arg


@dataclass(frozen=True)
class LoadContext:
    blocks: BlockCounter
    max_bytes: int | None = DEFAULT_MAX_BYTES
    # Texts to read instead of the files' own, by real path: `--fix` analyses a rewritten
    # file before (or without) writing it.
    texts: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def read(self, path: str) -> str:
        if self.texts:
            text = self.texts.get(os.path.realpath(path))
            if text is not None:
                return text
        return read_text(path, max_bytes=self.max_bytes)

    def runner_transaction(self) -> Transaction:
        """A new transaction the migration tool opens (a block number of its own)."""
        return Transaction(TxScope.RUNNER, self.blocks.next())


def target_of(arg: str, texts: Mapping[str, str] | None = None) -> Target:
    """Expand one PATH; a missing path or an empty glob is bad input. A path `texts` holds
    (by real path) is one file even when there is no such file: standard input."""
    if texts and os.path.realpath(arg) in texts and not os.path.isdir(arg):
        return Target(arg, None, (arg,))
    if not os.path.exists(arg) and _GLOB_CHARS.search(arg):
        return Target(arg, None, tuple(glob_files(arg)))
    path = Path(arg)
    if not path.exists():
        raise BadInput("no such file or directory", file=arg)
    if path.is_dir():
        found = walk_files(arg, _SKIPPED_DIRS)
        return Target(
            arg, path, tuple(sorted(found, key=lambda p: natural_key(os.path.relpath(p, arg))))
        )
    if not path.is_file():
        raise BadInput("not a regular file", file=arg)
    return Target(arg, None, (arg,))


def head(path: str, size: int = 65536) -> str:
    """The start of a file, for detection; what cannot be read reads as empty."""
    return open_head(path, size).decode("utf-8", errors="replace")


def find_marker(target: Target, name: str | Path, *, up: int = 0) -> Path | None:
    """The file `name` in the PATH's directory (or a named file's folder), or in one of the
    `up` folders above it: the project file a format is recognised by."""
    starts = [target.directory] if target.directory else [Path(f).parent for f in target.files]
    for start in starts:
        folder = start
        for _ in range(up + 1):
            if (folder / name).is_file():
                return folder / name
            folder = folder.parent
    return None


def no_files(target: Target, what: str, pattern: str) -> BadInput:
    return BadInput(f"holds no {what} migrations ({pattern})", file=target.arg)


# ---- statements from ORM calls --------------------------------------------------------


class Unknown(Exception):
    """A value that only running the migration's code would tell (a variable, a call)."""


def sql_literal(value: object) -> str:
    """A value bound to a query (RunSQL params, knex bindings, bindparams, …) as the SQL
    literal the driver sends; Unknown for anything but plain values and lists of them."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(sql_literal(v) for v in value) + "]"
    raise Unknown(f"the bound value {value!r}")


# What reading a call's arguments can raise: each is a gap in the extraction, never a crash.
UNREADABLE = (Unknown, KeyError, IndexError, TypeError, AttributeError)


@dataclass(frozen=True)
class RunTime:
    """A value only running the migration would tell, in a statement whose table, columns
    and kind are known: written as NULL, with a `run-time-value` finding."""

    what: str  # for the finding: "the variable `ids`"


# Why NULL in place of a run-time value makes a statement touch no row (`with_placeholders`).
SAFE_READ = "it only reads"
SAFE_WHERE = "its WHERE, a condition compared with NULL joined with AND, matches no row"


def with_placeholders(
    statement: Statement, unknown: Iterable[str], safe: str | None
) -> tuple[Statement, Finding]:
    """A statement written with NULL for values known only at run time, and its finding.

    `safe`: why NULL makes it write no row (then a dry-run runs it); None: it could write
    NULL into a row, so it is never sent.
    """
    values = "; ".join(dict.fromkeys(unknown))
    message = (
        f"{statement.origin or 'this call'}: {values}, known only at run time: analysed with "
        "NULL in its place (the statement's table locks do not depend on it)"
    )
    if safe is not None:
        message += f"; a dry-run runs it as written here ({safe})"
    else:
        message += "; a dry-run does not run it (it could write NULL into a row)"
        statement = dataclasses.replace(
            statement,
            refused=f"NULL stands for a value known only at run time ({values}): not sent, "
            "it could write NULL into a row",
        )
    return statement, raised(checks.RunTimeValue, Hit(message), statement.location)


def unreadable(exc: Exception) -> str:
    """Why a call could not be turned into SQL, for its `unanalysable` finding."""
    if isinstance(exc, Unknown):
        return str(exc.args[0])
    return f"arguments pgfence cannot read ({exc})"


def unanalysable(location: Location, message: str) -> Finding:
    return raised(Unanalysable, Hit(message), location)


def info(check: type[Check], location: Location, message: str) -> Finding:
    """A note of a format check about its files."""
    return raised(check, Hit(message), location)


def literal(value: object) -> str:
    """A value read from a migration as an SQL literal, as the ORMs write them."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def generated(
    sql: str,
    location: Location,
    transaction: Transaction = AUTOCOMMIT,
    origin: str | None = None,
    ignored: frozenset[str] = frozenset(),
    budget: Budget | None = None,
) -> Statement:
    """A statement a builder call compiles to (one statement, no trailing ';').

    `budget`: what the migration file may still cost (its Extraction's).
    """
    try:
        if budget is not None:
            budget.take_statement()
        parsed = parse_one(sql, budget)
    except LimitExceeded as exc:
        raise BadInput(str(exc), file=location.file, line=location.line) from None
    return Statement(
        sql=sql,
        location=location,
        transaction=transaction,
        parse_error=parsed.error,
        refused=parsed.error if parsed.refused else None,
        ignored_rules=ignored,
        origin=origin,
        node=parsed.node,
    )


def raw_statements(
    text: str,
    location: Location,
    transaction: Transaction = AUTOCOMMIT,
    origin: str | None = None,
    ignored: frozenset[str] = frozenset(),
    budget: Budget | None = None,
) -> tuple[list[Statement], list[Finding]]:
    """SQL written as a string in the migration (op.execute, queryRunner.query, knex.raw).

    Every statement of the string is placed at the call, in the call's transaction.
    `budget`: what the migration file may still cost (its Extraction's).
    """
    try:
        statements, findings = split_script(text, location.file, budget=budget, one_query=True)
    except BadInput as exc:  # named at the call: the string's own lines are not the file's
        raise BadInput(exc.message, file=location.file, line=location.line) from None
    placed = [
        dataclasses.replace(
            s,
            location=location,
            transaction=transaction,
            origin=origin,
            ignored_rules=s.ignored_rules | ignored,
        )
        for s in statements
    ]
    moved = [dataclasses.replace(f, location=location) for f in findings]
    if not placed and not moved:
        moved.append(info(checks.EmptySql, location, f"{origin or 'this call'} sends no SQL"))
    return placed, moved


def ignores_at(
    lines: list[str], line: int, comment: str, end_line: int | None = None
) -> frozenset[str]:
    """`pgfence-ignore: rule` in a comment on the line above the call or on its lines."""
    texts = []
    for number in range(line - 1, (end_line or line) + 1):
        if 1 <= number <= len(lines) and comment in lines[number - 1]:
            texts.append(lines[number - 1].split(comment, 1)[1])
    return ignored_rules(texts)


@dataclass
class Extraction:
    """What an ORM format got out of one file: statements, gaps, and how many calls."""

    path: str
    statements: list[Statement] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    calls_seen: int = 0
    calls_extracted: int = 0
    gaps: int = 0  # unanalysable findings raised so far
    budget: Budget = dataclasses.field(default_factory=Budget)  # what the file may still cost

    def add(self, statements: Iterable[Statement], findings: Iterable[Finding] = ()) -> None:
        self.statements.extend(statements)
        self.findings.extend(findings)

    def gap(self, location: Location, message: str) -> None:
        self.gaps += 1
        self.findings.append(unanalysable(location, message))

    def run_time_loop(self, location: Location, what: str) -> None:
        """A loop over values known only at run time, whose body is analysed once."""
        self.findings.append(
            info(
                checks.RunTimeValue,
                location,
                f"{what}: its values are known only at run time; its body runs once per "
                "value (perhaps never), and pgfence analysed it once",
            )
        )

    def first_value(self, location: Location, what: str, first: object) -> None:
        """A loop over values in the file that can end at any of them, analysed with the
        first (`js.Walker.first_tried`)."""
        value = sql_literal(first) if isinstance(first, str) else repr(first)
        self.findings.append(
            info(
                checks.RunTimeValue,
                location,
                f"{what} can leave it early (return, break): which of its values its "
                f"statements run with is known only at run time; pgfence analysed them with "
                f"the first, {value}, and a dry-run does not run them",
            )
        )

    def extract(self, where: Location, origin: str, translate: Callable[[], None]) -> bool:
        """Count a migration call and let `translate` turn it into statements; a call whose
        arguments cannot be read is a gap, reported at the call (and False). A call that
        leaves a gap of its own is counted as seen, not as turned into SQL."""
        self.calls_seen += 1
        gaps = self.gaps
        try:
            translate()
        except UNREADABLE as exc:
            self.gap(where, f"{origin}: {unreadable(exc)}")
            return False
        # A call translated with a gap of its own (SQL with `${}` placeholders, never sent)
        # is not counted as turned into SQL.
        if self.gaps > gaps:
            return True
        self.calls_extracted += 1
        return True

    def migration(self, fmt: str) -> Migration:
        findings = list(self.findings)
        if self.calls_seen and self.calls_extracted < self.calls_seen:
            findings.append(
                info(
                    checks.ExtractionCoverage,
                    Location(self.path, 1, 1),
                    f"{self.calls_extracted} of {self.calls_seen} migration calls turned into "
                    "SQL; the others are reported as unanalysable",
                )
            )
        findings.sort(key=lambda f: (f.location.line, f.location.column))
        return Migration(
            self.path,
            fmt,
            tuple(self.statements),
            tuple(findings),
            calls_seen=self.calls_seen,
            calls_extracted=self.calls_extracted,
        )


JS_SUFFIXES = (".ts", ".js", ".cjs", ".mjs", ".mts", ".cts")


def js_files(target: Target) -> list[str]:
    if target.explicit_file:
        return list(target.files)
    return [f for f in target.with_suffix(*JS_SUFFIXES) if not f.endswith((".d.ts", ".d.mts"))]


def js_migration_files(
    target: Target,
    markers: tuple[str, ...],
    what: str,
    pattern: str,
    by_name: bool = False,
) -> list[str]:
    """The JavaScript/TypeScript migrations of PATH: the file named, or the files of the
    folder that mention one of `markers`; `by_name` orders them by file name, as TypeORM
    and Sequelize do (otherwise by path)."""
    found = js_files(target)
    if not target.explicit_file:
        found = [f for f in found if mentions(f, markers)]
    if not found:
        raise no_files(target, what, pattern)
    if by_name:
        found.sort(key=lambda f: natural_key(Path(f).name))
    return found


def mentions(path: str, markers: tuple[str, ...]) -> bool:
    """Does the start of the file (read once) mention one of `markers`?"""
    start = head(path)
    return any(marker in start for marker in markers)


def files_containing(target: Target, suffixes: tuple[str, ...], *markers: str) -> list[str]:
    return [f for f in target.with_suffix(*suffixes) if mentions(f, markers)]
