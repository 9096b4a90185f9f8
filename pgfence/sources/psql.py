"""Cut a psql script into statements the way psql does, before pglast sees them.

pglast (libpg_query) parses SQL, but a migration file is a *psql script*: it may hold
meta-commands (`\\set`, `\\connect`, `\\restrict` from pg_dump 17.6+), `COPY … FROM stdin`
followed by a data block that is not SQL, and statements that do not parse. So this
module does the job of psql's own lexer (psqlscan.l): it knows quotes, dollar quotes,
nested comments, parentheses and `BEGIN ATOMIC … END` bodies well enough to find where
each statement ends, and nothing more. Every statement is then parsed on its own by
pglast, so one bad statement does not hide the rest of the file.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

# Character classes of the psql lexer, written as ASCII sets: a class spanning
# \x80-\U0010ffff costs ~15 ms to compile, paid by every run (checked equal over all code
# points in tests/sources/test_sql.py).
_IDENT_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"  # A-Z a-z _ and every non-ASCII
_IDENT_CHAR = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # … and digits
_IDENT_CHAR_OR_DOLLAR = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
# ASCII that is not white space, an identifier character or one of - / ' " $ \ ; ( ).
_OTHER = (
    r"[\x00-\x08\x0e-\x1b\x21\x23\x25\x26\x2a-\x2c\x2e\x30-\x3a\x3c-\x40"
    r"\x5b\x5d\x5e\x60\x7b-\x7f]"
)
# The server's white space (scan.l `space`): ASCII only. A no-break space or any other
# Unicode space is an identifier character to Postgres, so `<U+00A0>$x$` is one identifier,
# not white space before a dollar quote; PG 16 added \v, older servers reject it anyway.
# A `--` comment ends at CR as well as LF (scan.l `non_newline` is [^\n\r]).
# The whitespace before a token is taken with it (half the tokens of a migration are
# whitespace: each its own match and turn of the loop cost a third of the scan); a token's
# start is its group's.
_TOKEN = re.compile(
    rf"""
    [ \t\n\r\f\v]*
    (?:
      (?P<ws>[ \t\n\r\f\v]+)
    | (?P<line_comment>--[^\n\r]*)
    | (?P<block_comment>/\*)
    | (?P<estring>[eE]')
    | (?P<bitstring>[bBxX]')
    | (?P<ustring>[uU]&')
    | (?P<nstring>[nN]')
    | (?P<string>')
    | (?P<qident>")
    | (?P<dollar>\$(?:{_IDENT_START}{_IDENT_CHAR}*)?\$)
    | (?P<ident>{_IDENT_START}{_IDENT_CHAR_OR_DOLLAR}*)
    | (?P<backslash>\\)
    | (?P<semicolon>;)
    | (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<other>{_OTHER}+|.)
    )
    """,
    re.VERBOSE | re.DOTALL,
)
# Written "unrolled" (a run of ordinary characters, then each escape followed by a run):
# `(?:[^']|'')*` keeps a backtracking entry per character, 120 bytes each, so a 15 MB
# string literal cost 1.9 GB.
_STRING_BODY = re.compile(r"[^']*(?:''[^']*)*'")
_ESTRING_BODY = re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.DOTALL)
_QIDENT_BODY = re.compile(r'[^"]*(?:""[^"]*)*"')
_TRAILING_COMMENT = re.compile(r"[ \t]*(--[^\n\r]*)")
_COMMENT_EDGE = re.compile(r"/\*|\*/")

# psql treats these as "send the query buffer": they end the statement before them.
_SENDING_META = {"g", "gx", "gset", "gexec", "gdesc", "crosstabview", "watch", "bind", ";"}


class LexError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class MetaCommand:
    """A psql backslash command, which is not SQL and which pgfence does not run."""

    name: str  # without the backslash: "set", "connect", "restrict", …
    text: str  # the whole command line
    offset: int


@dataclass
class Piece:
    """A statement as cut from the script: offsets into the text, not yet parsed."""

    start: int  # offset of the first token
    end: int  # offset just past the last token (before the ';')
    comments: list[str] = field(default_factory=list)  # comments before and inside it
    trailing_comment: str | None = None  # a comment on the same line after its ';'
    terminated: bool = True  # ended by ';' (False for a last statement without one)
    copy_data: tuple[int, int] | None = None  # for COPY FROM stdin: span of the data block
    # Its meaning depends on standard_conforming_strings: a '…' literal with a backslash,
    # read with the setting on (the server must have it on) or off (pglast cannot read it).
    backslash_literal: bool = False
    escape_literal: bool = False


class LineIndex:
    """Offset -> (line, column), both 1-based.

    Keeps the newlines counted per 4 KiB block rather than every line's start: a list of
    16 million line starts (a file of empty lines) cost 800 MB.
    """

    _BLOCK = 4096

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines_before = array("q", [0])  # newlines before each block
        self._line_start = array("q", [0])  # where the line holding each block's start begins
        lines, start = 0, 0
        for block in range(0, len(text), self._BLOCK):
            end = block + self._BLOCK
            lines += text.count("\n", block, end)
            last = text.rfind("\n", block, end)
            start = last + 1 if last >= 0 else start
            self._lines_before.append(lines)
            self._line_start.append(start)

    def position(self, offset: int) -> tuple[int, int]:
        block = min(offset // self._BLOCK, len(self._lines_before) - 1)
        base = block * self._BLOCK
        line = self._lines_before[block] + self._text.count("\n", base, offset)
        last = self._text.rfind("\n", base, offset)
        start = last + 1 if last >= 0 else self._line_start[block]
        return line + 1, offset - start + 1

    def line_end(self, offset: int) -> int:
        """Offset of the start of the line after the one holding `offset`."""
        newline = self._text.find("\n", offset)
        return newline + 1 if newline >= 0 else -1


@dataclass
class _StatementState:
    start: int | None = None
    end: int = 0
    depth: int = 0  # parentheses
    begin_depth: int = 0  # BEGIN ATOMIC … END bodies of CREATE FUNCTION/PROCEDURE
    words: list[str] = field(default_factory=list)  # the first few identifiers, lowered
    comments: list[str] = field(default_factory=list)
    backslash_literal: bool = False  # a '…' literal holding a backslash, read as standard
    escape_literal: bool = False  # a '…' literal with backslash escapes (setting off)
    body_allowed: bool = False  # routine_body_allowed() of the words so far

    def routine_body_allowed(self) -> bool:
        # CREATE [OR REPLACE] FUNCTION|PROCEDURE … : only there can BEGIN open a body.
        w = self.words
        return (
            len(w) >= 2
            and w[0] == "create"
            and (
                w[1] in ("function", "procedure")
                or (
                    w[1:3] == ["or", "replace"]
                    and len(w) >= 4
                    and w[3] in ("function", "procedure")
                )
            )
        )

    def see_word(self, word: str) -> None:
        if len(self.words) < 4:
            self.words.append(word.lower())
            self.body_allowed = self.routine_body_allowed()
        if self.depth or not self.body_allowed:
            return  # (the first four words decide: asked once each, not at every word)
        lowered = word.lower()
        if lowered == "begin" or (lowered == "case" and self.begin_depth):
            self.begin_depth += 1
        elif lowered == "end" and self.begin_depth:
            self.begin_depth -= 1


class Scanner:
    """Iterate over the statements and meta-commands of a psql script, in order.

    COPY data blocks are not recognised here, since that needs the statement parsed:
    after a `COPY … FROM stdin` piece the caller moves `pos` past the data block
    (see `copy_data_span`) and iteration continues from there.
    """

    def __init__(
        self, text: str, *, standard_strings: bool = True, follow_settings: bool = True
    ) -> None:
        self.text = text
        self.follow_settings = follow_settings
        self.pos = 0
        self.lines = LineIndex(text)
        # standard_conforming_strings as the server has it at this point of the script:
        # True (the default since 9.1), False, or None once it was changed in a way that
        # cannot be followed (SET LOCAL, set_config(), …).
        self.standard_strings: bool | None = standard_strings

    def __iter__(self) -> Iterator[Piece | MetaCommand]:
        text, n = self.text, len(self.text)
        state = _StatementState()
        match = _TOKEN.match
        while self.pos < n:
            m = match(text, self.pos)
            assert m is not None  # the 'other' alternative matches any character
            kind = m.lastgroup
            tok_start = m.start(kind)  # type: ignore[arg-type]
            self.pos = m.end()
            if kind == "ws":
                continue
            if kind == "line_comment" or kind == "block_comment":
                if kind == "block_comment":
                    self.pos = _skip_block_comment(text, tok_start)
                state.comments.append(text[tok_start : self.pos])
                continue
            if kind == "backslash":
                eol = text.find("\n", tok_start)
                eol = n if eol < 0 else eol
                line_text = text[tok_start:eol].rstrip()
                name = re.match(r"\\([A-Za-z_;.!?]*)", line_text)
                meta = MetaCommand(name.group(1) if name else "", line_text, tok_start)
                if meta.name in _SENDING_META and state.start is not None:
                    piece = self._finish(state, terminated=True)
                    state = _StatementState()
                    yield piece
                self.pos = max(self.pos, eol)
                yield meta
                continue
            if kind == "semicolon" and state.depth == 0 and state.begin_depth == 0:
                if state.start is None:
                    continue  # an empty statement: ';;'
                piece = self._finish(state, terminated=True)
                trailing = _TRAILING_COMMENT.match(text, self.pos)
                if trailing:  # `…; -- pgfence-ignore: x` belongs to this statement
                    piece.trailing_comment = trailing.group(1)
                    self.pos = trailing.end()
                state = _StatementState()
                yield piece
                continue
            if state.start is None:
                state.start = tok_start
            if kind == "string" or kind == "nstring":
                self.pos = self._skip_plain_string(state, tok_start)
            elif kind == "bitstring" or kind == "ustring":
                # B'…', X'…' and U&'…' never take backslash escapes, whatever the setting.
                self.pos = _skip_body(
                    _STRING_BODY, text, self.pos, tok_start, "unterminated quoted string"
                )
            elif kind == "estring":
                self.pos = _skip_body(
                    _ESTRING_BODY, text, self.pos, tok_start, "unterminated quoted string"
                )
            elif kind == "qident":
                self.pos = _skip_body(
                    _QIDENT_BODY, text, self.pos, tok_start, "unterminated quoted identifier"
                )
            elif kind == "dollar":
                tag = text[tok_start : self.pos]
                close = text.find(tag, self.pos)
                if close < 0:
                    raise LexError(f"unterminated dollar-quoted string {tag}", tok_start)
                self.pos = close + len(tag)
            elif kind == "ident":
                state.see_word(text[tok_start : self.pos])
            elif kind == "lparen":
                state.depth += 1
            elif kind == "rparen":
                state.depth = max(0, state.depth - 1)
            state.end = self.pos
        if state.start is not None:
            yield self._finish(state, terminated=False)

    def _skip_plain_string(self, state: _StatementState, start: int) -> int:
        """A '…' (or N'…') literal, read the way the server reads it now: with
        standard_conforming_strings off, a backslash escapes the next character (psql
        follows the setting the same way, from the server's ParameterStatus)."""
        if self.standard_strings is False:
            end = _skip_body(
                _ESTRING_BODY, self.text, self.pos, start, "unterminated quoted string"
            )
            if self.text.find("\\", self.pos, end) >= 0:
                state.escape_literal = True
            return end
        end = _skip_body(_STRING_BODY, self.text, self.pos, start, "unterminated quoted string")
        if self.text.find("\\", self.pos, end) >= 0:
            if self.standard_strings is None:
                raise LexError(
                    "a string with a backslash after standard_conforming_strings was changed "
                    "in a way pgfence cannot follow: the server may read it either way",
                    start,
                )
            state.backslash_literal = True
        return end

    def _finish(self, state: _StatementState, *, terminated: bool) -> Piece:
        piece = _finish(state, terminated=terminated)
        if not self.follow_settings:
            return piece
        if not (
            _SCS_MENTION.search(self.text, piece.start, piece.end)
            or _MAY_RESET.match(self.text, piece.start)
        ):
            return piece  # (without slicing the text: a statement may be megabytes long)
        setting = standard_strings_after(self.text[piece.start : piece.end])
        if setting is not _UNCHANGED:
            self.standard_strings = setting  # type: ignore[assignment]
        return piece


_COPY_END = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE)


def copy_data_span(text: str, semicolon_line_end: int) -> tuple[int, int, int]:
    """Find the data block of a COPY … FROM stdin.

    psql reads the data from the line after the command up to a line holding only
    `\\.` (or the end of the input). `semicolon_line_end` is the offset of the line
    after the command's ';'. Returns (data_start, data_end, resume_offset).
    """
    if semicolon_line_end < 0:
        return len(text), len(text), len(text)
    m = _COPY_END.search(text, semicolon_line_end)
    if m is None:
        return semicolon_line_end, len(text), len(text)
    return semicolon_line_end, m.start(), m.end()


def _finish(state: _StatementState, *, terminated: bool) -> Piece:
    assert state.start is not None
    return Piece(
        start=state.start,
        end=state.end,
        comments=list(state.comments),
        terminated=terminated,
        backslash_literal=state.backslash_literal,
        escape_literal=state.escape_literal,
    )


def _skip_body(body: re.Pattern[str], text: str, pos: int, start: int, what: str) -> int:
    m = body.match(text, pos)
    if m is None:
        raise LexError(what, start)
    return m.end()


def _skip_block_comment(text: str, start: int) -> int:
    depth = 0
    pos = start
    for m in _COMMENT_EDGE.finditer(text, start):
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
        if depth == 0:
            return pos
    raise LexError("unterminated /* comment", start)


# ---- standard_conforming_strings -----------------------------------------------------------

_UNCHANGED = object()
_SCS = "standard_conforming_strings"
_MAY_RESET = re.compile(r"\s*(?:reset|discard)\b", re.IGNORECASE)
_SCS_MENTION = re.compile(_SCS, re.IGNORECASE)
# Postgres's parse_bool: a unique prefix of true/false/yes/no, on/off (at least "of"), 1/0.
_TRUE = re.compile(r"\A(?:t(?:r(?:ue?)?)?|y(?:es?)?|on|1)\Z", re.IGNORECASE)
_FALSE = re.compile(r"\A(?:f(?:a(?:l(?:se?)?)?)?|n(?:o)?|off?|0)\Z", re.IGNORECASE)


def standard_strings_after(sql: str) -> object:
    """What `sql` does to standard_conforming_strings in the session: True or False when
    it sets it, None when it changes it in a way that cannot be followed, else _UNCHANGED.

    Only SET / RESET / DISCARD ALL are followed; any other mention of the setting in a
    statement that runs (set_config(), SET LOCAL, which ends with the transaction) makes
    the rest of the script ambiguous wherever a backslash stands in a string.
    """
    mentions = _SCS in sql.lower()
    if not mentions and not _MAY_RESET.match(sql):  # (match: at the start only)
        return _UNCHANGED
    from pglast import ast, parse_sql, parser  # only for the rare statement that may matter
    from pglast.enums import DiscardMode, VariableSetKind

    try:
        nodes = [raw.stmt for raw in parse_sql(sql)]
    except parser.ParseError:
        return None if mentions else _UNCHANGED
    if len(nodes) != 1:
        return None
    node = nodes[0]
    if isinstance(node, ast.DiscardStmt):
        return True if node.target == DiscardMode.DISCARD_ALL else _UNCHANGED
    if isinstance(node, ast.VariableSetStmt):
        if node.kind == VariableSetKind.VAR_RESET_ALL:
            return True
        if node.name != _SCS:
            return None if mentions else _UNCHANGED
        if node.is_local:
            return None
        if node.kind in (VariableSetKind.VAR_SET_DEFAULT, VariableSetKind.VAR_RESET):
            return True
        if node.kind == VariableSetKind.VAR_SET_VALUE and node.args and len(node.args) == 1:
            return _bool_setting(node.args[0])
        return None
    if isinstance(node, ast.AlterRoleSetStmt | ast.AlterDatabaseSetStmt | ast.AlterSystemStmt):
        return _UNCHANGED  # for later sessions, not this one
    return None if mentions else _UNCHANGED


def _bool_setting(arg: object) -> bool | None:
    from pglast import ast

    value: object = None
    if isinstance(arg, ast.A_Const) and not arg.isnull:
        inner = arg.val
        value = getattr(inner, "sval", None)
        if value is None and isinstance(inner, ast.Integer):
            value = str(inner.ival)
        if value is None and isinstance(inner, ast.Boolean):
            value = "on" if inner.boolval else "off"
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    return None
