"""Plain SQL migrations (psql scripts): text -> Statements with file, line and column."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pglast
from pglast import ast
from pglast.enums import TransactionStmtKind

from pgfence.checks import Hit, raised
from pgfence.checks.inputs import ParseError, PsqlMetaCommand, Unanalysable
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
from pgfence.sources import trees
from pgfence.sources.files import DEFAULT_MAX_BYTES, read_text
from pgfence.sources.limits import MAX_COMMENTS, Budget, LimitExceeded, measure
from pgfence.sources.psql import LexError, MetaCommand, Piece, Scanner, copy_data_span

_IGNORE = re.compile(r"pgfence(?:-ignore(?!-file)|:\s*ignore)\b\s*:?\s*([\w\-, ]*)", re.IGNORECASE)
# A bare `-- pgfence-ignore` (no check named): every check of the statement is silenced.
IGNORE_ALL = "*"
_IGNORE_FILE = re.compile(r"pgfence-ignore-file\s*:?\s*([\w\-, ]+)", re.IGNORECASE)
# A comment, for file ignores: to the end of the line, or to the first `*/` (an ignore
# after a nested comment's `*/`, inside the outer comment, is not seen).
_COMMENT = re.compile(r"--[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)

_OPENS = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_CLOSES = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


@dataclass
class BlockCounter:
    """Numbers transactions across a whole run, so blocks never collide between files."""

    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next(self) -> int:
        return next(self._counter)


class Parsed(NamedTuple):
    node: object | None
    error: str | None = None  # pglast's message, or why the text is refused
    offset: int | None = None  # of the error, within the text
    refused: bool = False  # the text is more than one statement to Postgres's parser


def parse_one(sql: str, budget: Budget | None = None) -> Parsed:
    """Parse one statement, as cut by the scanner.

    Its tree is measured first and its nodes taken from `budget` (the file's): a
    statement over a limit raises LimitExceeded before pglast builds anything.
    """
    size = measure(sql)
    if size is not None and budget is not None:
        budget.take_nodes(size.nodes)
    try:
        raw = trees.parse_sql(sql)
    except pglast.parser.ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        return Parsed(None, str(exc.args[0]), offset)
    if len(raw) != 1:
        return Parsed(None, SPLIT_DISAGREES.format(count=len(raw)), refused=True)
    return Parsed(raw[0].stmt)


# The scanner cut one statement where Postgres's own parser finds several: whatever the
# reason, the server would run more than pgfence read.
SPLIT_DISAGREES = (
    "pgfence read one statement here where Postgres's parser reads {count}: it is refused, "
    "not guessed"
)
ESCAPES_OFF = (
    "standard_conforming_strings is off here and a '…' string holds a backslash: the server "
    "reads it with backslash escapes, which pgfence's parser cannot; it is refused"
)


def ignored_rules(comments: list[str]) -> frozenset[str]:
    rules: set[str] = set()
    for comment in comments:
        for m in _IGNORE.finditer(comment):
            named = [r.strip().lower() for r in m.group(1).split(",") if r.strip()]
            rules.update(named or [IGNORE_ALL])
    return frozenset(rules)


class _TransactionTracker:
    """Which transaction each statement runs in, following BEGIN / COMMIT in the file.

    Outside a migration tool (psql -f) statements autocommit unless the file opens a
    transaction. Inside a tool's transaction (`runner`), BEGIN is a no-op (Postgres only
    warns) and COMMIT ends the tool's transaction: the tool then opens a new one for the
    rest of the file, as JDBC-style runners with autocommit off do.
    """

    def __init__(self, blocks: BlockCounter, runner: bool, first_block: int | None = None) -> None:
        self.blocks = blocks
        self.runner = runner
        self.current = (
            Transaction(TxScope.RUNNER, first_block)
            if runner and first_block is not None
            else self._outer()
        )

    def _outer(self) -> Transaction:
        return Transaction(TxScope.RUNNER, self.blocks.next()) if self.runner else AUTOCOMMIT

    def place(self, node: object) -> Transaction:
        if not isinstance(node, ast.TransactionStmt):
            return self.current
        if node.kind in _OPENS and self.current.scope is TxScope.AUTOCOMMIT:
            self.current = Transaction(TxScope.EXPLICIT, self.blocks.next())
            return self.current
        if node.kind in _CLOSES and self.current.scope is not TxScope.AUTOCOMMIT:
            closing = self.current
            self.current = self._outer() if closing.scope is TxScope.RUNNER else AUTOCOMMIT
            return closing
        return self.current


def split_script(
    text: str,
    file: str,
    *,
    blocks: BlockCounter | None = None,
    runner_transaction: bool = False,
    line_offset: int = 0,
    runner_block: int | None = None,
    one_query: bool = False,
    budget: Budget | None = None,
) -> tuple[list[Statement], list[Finding]]:
    """Cut a psql script into parsed Statements, plus findings about the script itself.

    `runner_transaction`: the migration tool wraps the whole script in one transaction
    (Flyway, Prisma, …); otherwise statements outside BEGIN … COMMIT autocommit, as with
    `psql -f`. `line_offset` shifts line numbers when `text` is a section of a file.
    `runner_block`: the runner's transaction is this block, shared with other files (a
    runner that wraps all pending files in one transaction); else a new block.
    `one_query`: the text is sent to the server as one query (an ORM's raw SQL), which
    the server lexes whole with the settings it had when the query arrived: a
    standard_conforming_strings change inside it changes nothing of how the rest is cut.
    `budget`: what the file may still cost (see `limits`); going over it is BadInput.
    """
    statements: list[Statement] = []
    findings: list[Finding] = []
    scanner = Scanner(text, follow_settings=not one_query)
    tracker = _TransactionTracker(blocks or BlockCounter(), runner_transaction, runner_block)
    budget = budget if budget is not None else Budget()
    if text.count("--") + text.count("/*") > MAX_COMMENTS:  # an upper bound, counted fast
        raise BadInput(
            f"file holds more than {MAX_COMMENTS:,} comments; split it into smaller migrations",
            file=file,
        )

    def loc(offset: int) -> Location:
        line, column = scanner.lines.position(offset)
        return Location(file, line + line_offset, column)

    offset = 0
    try:
        for item in scanner:
            offset = item.offset if isinstance(item, MetaCommand) else item.start
            budget.take_statement()
            if isinstance(item, MetaCommand):
                findings.append(_meta_finding(item, loc(item.offset)))
            else:
                statements.append(_statement(item, scanner, loc, tracker, budget))
    except LimitExceeded as exc:
        raise BadInput(str(exc), file=file, line=loc(offset).line) from None
    except LexError as exc:
        hit = Hit(f"{exc}; the rest of the file could not be read")
        findings.append(raised(ParseError, hit, loc(exc.offset)))
    return statements, findings


def place_transactions(
    statements: Sequence[Statement], blocks: BlockCounter, *, runner_transaction: bool
) -> list[Statement]:
    """The statements of one script placed again, as `split_script` places them.

    For a tool whose transaction depends on the statements (how many there are): the
    script is cut and parsed once, and only placed a second time.
    """
    tracker = _TransactionTracker(blocks, runner_transaction)
    return [dataclasses.replace(s, transaction=tracker.place(s.node)) for s in statements]


def _statement(
    piece: Piece,
    scanner: Scanner,
    loc: Callable[[int], Location],
    tracker: _TransactionTracker,
    budget: Budget,
) -> Statement:
    text = scanner.text
    sql = text[piece.start : piece.end]
    parsed = (
        Parsed(None, ESCAPES_OFF, refused=True) if piece.escape_literal else parse_one(sql, budget)
    )
    node, error, error_offset = parsed.node, parsed.error, parsed.offset
    refused = error if parsed.refused else None
    copy_data = None
    if isinstance(node, ast.CopyStmt) and node.is_from and not node.filename:
        # psql streams the lines after the command to the server, up to `\.`.
        start, end, resume = copy_data_span(text, scanner.lines.line_end(piece.end))
        copy_data = text[start:end]
        scanner.pos = max(scanner.pos, resume)
    if error is not None and error_offset is not None:
        where = loc(piece.start + error_offset)
        error = f"{error} (line {where.line}, column {where.column})"
    comments = piece.comments + ([piece.trailing_comment] if piece.trailing_comment else [])
    return Statement(
        sql=sql,
        location=loc(piece.start),
        transaction=tracker.place(node),
        copy_data=copy_data,
        parse_error=error,
        ignored_rules=ignored_rules(comments),
        refused=refused,
        needs_standard_strings=piece.backslash_literal,
        node=node,
    )


# psql meta-commands that change which SQL psql sends: what they send cannot be read here.
_OPAQUE_META = {
    "gexec": "\\gexec runs every value the query before it returns as a statement",
    "if": "psql runs only one branch of \\if … \\endif; pgfence reads every branch",
    "elif": "psql runs only one branch of \\if … \\endif; pgfence reads every branch",
    "else": "psql runs only one branch of \\if … \\endif; pgfence reads every branch",
    "bind": "\\bind sends the query before it with parameters pgfence does not substitute",
}


def _meta_finding(meta: MetaCommand, location: Location) -> Finding:
    if meta.name in _OPAQUE_META:
        hit = Hit(
            f"`{meta.text}`: {_OPAQUE_META[meta.name]}: the SQL it makes psql send is "
            "not analysed, and the dry-run does not run it"
        )
        return raised(Unanalysable, hit, location)
    if meta.name in ("restrict", "unrestrict"):
        why = "pg_dump's guard against injected meta-commands; safe to skip"
    elif meta.name in ("connect", "c"):
        why = "pgfence does not switch databases: later statements run on the same one"
    elif meta.name in ("i", "ir", "include", "include_relative"):
        why = "included files are not followed: pass them to pgfence as well"
    else:
        why = "psql meta-commands are not SQL and are not run"
    return raised(PsqlMetaCommand, Hit(f"skipped `{meta.text}`: {why}"), location)


def file_ignores(text: str) -> tuple[tuple[str, int], ...]:
    """`pgfence-ignore-file: rule-a, rule-b` in a `--` or `/* */` comment: (rule, line) pairs."""
    if not _IGNORE_FILE.search(text):
        return ()
    found: dict[str, int] = {}
    for comment in _COMMENT.finditer(text):
        for m in _IGNORE_FILE.finditer(text, comment.start(), comment.end()):
            line = text.count("\n", 0, m.start()) + 1
            for rule in m.group(1).split(","):
                if rule.strip():
                    found.setdefault(rule.strip().lower(), line)
    return tuple(found.items())


def read_sql_file(
    path: str,
    *,
    blocks: BlockCounter | None = None,
    runner_transaction: bool = False,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    fmt: str = "sql",
    text: str | None = None,
) -> Migration:
    """`text`: the file's text, already read (else it is read here)."""
    if text is None:
        text = read_text(path, max_bytes=max_bytes)
    statements, findings = split_script(
        text, path, blocks=blocks, runner_transaction=runner_transaction
    )
    return script_migration(path, fmt, text, statements, findings)


NO_STATEMENTS = "file holds no SQL statements (only comments or meta-commands)"


def script_migration(
    path: str,
    fmt: str,
    text: str,
    statements: Sequence[Statement],
    findings: Sequence[Finding],
    *,
    empty: str | None = NO_STATEMENTS,
) -> Migration:
    """The Migration of an SQL script read from `text`, with its file-level ignores.

    A script with nothing to run (and no parse error to report) is bad input, with the
    message `empty`; None where the tool runs such a script without complaint.
    """
    if empty is not None and not statements and not any(f.rule == "parse-error" for f in findings):
        raise BadInput(empty, file=path)
    return Migration(path, fmt, tuple(statements), tuple(findings), file_ignores(text))
