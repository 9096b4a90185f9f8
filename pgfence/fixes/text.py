"""Where a statement sits in its file's text, and insertions that leave the rest untouched.

Every edit `--fix` makes is an insertion: nothing of the file is removed or re-printed,
so comments, case and layout stay as they were, byte for byte. Positions inside a
statement come from Postgres's own lexer (pglast's scanner), never from a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pglast import parser

from pgfence.model import Statement

_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_NEWLINE = re.compile("\n")
_SEMICOLON = "ASCII_59"


@dataclass(frozen=True)
class Insertion:
    """`text` inserted at `offset` of the file's text, for the finding `rule`."""

    offset: int
    text: str
    rule: str


@dataclass(frozen=True)
class Token:
    start: int  # in the file's text
    end: int  # exclusive
    name: str  # the lexer's token name: CREATE, INDEX, IDENT, ASCII_59 (';'), …


class FileText:
    """One migration file's text, with the offsets of its lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        # What inserted lines end with: the file's own line ending.
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def offset_of(self, statement: Statement) -> int | None:
        """Where `statement` starts in the text; None when the text there is not the
        statement's (the tool changed it before splitting: Flyway placeholder values)."""
        line, column = statement.location.line, statement.location.column
        if not 1 <= line <= len(self._line_starts):
            return None
        start = self._line_starts[line - 1] + column - 1
        if self.text[start : start + len(statement.sql)] != statement.sql:
            return None
        return start

    def tokens(self, start: int, end: int) -> list[Token]:
        """The lexer's tokens of text[start:end], placed in the file."""
        return [
            Token(start + t.start, start + t.end + 1, t.name)
            for t in parser.scan(self.text[start:end])
        ]

    def terminator_end(self, statement_end: int, limit: int | None = None) -> int | None:
        """Just past the `;` that ends the statement ending at `statement_end` (comments
        may sit between), or None when it has none before `limit`."""
        stop = len(self.text) if limit is None else limit
        for token in self.tokens(statement_end, stop):
            if token.name == _SEMICOLON:
                return token.end
            if token.name not in _COMMENTS:
                return None
        return None

    def after_line(self, position: int) -> tuple[int, str]:
        """Where to start a new statement after `position` (the end of a `;`): at the end
        of its line when only comments follow there, else right after it; and the text
        that opens the new statement there."""
        newline = self.text.find("\n", position)
        line_end = len(self.text) if newline < 0 else newline
        if line_end > position and self.text[line_end - 1] == "\r":
            line_end -= 1
        rest = self.tokens(position, line_end)
        if all(t.name in _COMMENTS for t in rest):
            return line_end, self.newline
        return position, " "

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def before_comments(self, offset: int, floor: int) -> int:
        """Where to put a statement before the one at `offset` so that the comments just
        above it (a `-- pgfence-ignore`, a tool's section comment) stay with it: the start
        of the run of `--` comment lines above its line, not above `floor` (the end of
        the statement before) nor above a dbmate `-- migrate:` marker."""
        start = self.line_start(offset)
        if self.text[start:offset].strip():
            return offset  # the statement does not start its line: insert right before it
        while start > floor:
            above = self.line_start(start - 1)
            line = self.text[above : start - 1].strip()
            if above < floor or not line.startswith("--") or line.startswith("-- migrate:"):
                break
            start = above
        return max(start, floor)


def apply(text: str, insertions: Iterable[Insertion]) -> str:
    """The text with every insertion made; insertions at one offset keep their order."""
    ordered: Sequence[Insertion] = sorted(insertions, key=lambda i: i.offset)
    out, last = [], 0
    for insertion in ordered:
        out.append(text[last : insertion.offset])
        out.append(insertion.text)
        last = insertion.offset
    out.append(text[last:])
    return "".join(out)
