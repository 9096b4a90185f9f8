"""Text laid out to fit a terminal: tables whose columns give way by wrapping, and SQL
laid out one clause a line.

Every function here takes text already made `visible` and returns lines of at most the
width it is given (counted in terminal cells), so that no line of the table report is
wider than the terminal it is printed on.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pgfence.reporting.terminal import cells, cut, pad, wrap

GAP = "  "

# Where a word may be broken when it does not fit: after `+` or `-` before a letter
# ("reads+writes", "under-predicted"), and between the humps of a lock mode's name
# ("ShareUpdateExclusive").
_BREAK = re.compile(r"(?<=[+\-])(?=[^\W\d_])|(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class Column:
    """A column of a table: its header, and how much of its text may be shown.

    `max_lines` keeps at most that many lines of one cell's paragraph, the last cut with
    "…" (the statement: wrapped first, cut only where it would run on).
    """

    header: str
    max_lines: int | None = None


@dataclass(frozen=True)
class Shrink:
    """One step of making a table narrower: column `index` may give way down to `floor`
    columns (never below its longest unbreakable piece, unless `split_words`)."""

    index: int
    floor: int
    split_words: bool = False


def _pieces(paragraph: str) -> list[tuple[str, bool]]:
    """The paragraph's words, each cut at the places `_BREAK` allows: (piece, starts a word)."""
    out: list[tuple[str, bool]] = []
    for word in paragraph.split():
        parts = _BREAK.split(word)
        out.append((parts[0], True))
        out.extend((part, False) for part in parts[1:])
    return out


def wrap_soft(paragraph: str, width: int) -> list[str]:
    """`paragraph` in lines of at most `width` columns, broken between words, else at a
    `+`, a `-` or a capital inside a word, else between whole characters."""
    lines: list[str] = []
    line = ""
    for piece, word_start in _pieces(paragraph):
        joined = f"{line} {piece}" if line and word_start else line + piece
        if cells(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        *whole, line = wrap(piece, width)  # a piece wider than the column: cut in chunks
        lines.extend(whole)
    if line or not lines:
        lines.append(line)
    return lines


def _longest_piece(paragraphs: Sequence[str]) -> int:
    return max((cells(p) for text in paragraphs for p, _ in _pieces(text)), default=0)


def _natural(paragraphs: Sequence[str]) -> int:
    return max((cells(text) for text in paragraphs), default=0)


def _lines(paragraphs: Sequence[str], width: int, max_lines: int | None) -> list[str]:
    out: list[str] = []
    for text in paragraphs:
        wrapped = wrap_soft(text, width)
        if max_lines is not None and len(wrapped) > max_lines:
            last = " ".join(wrapped[max_lines - 1 :])
            wrapped = [*wrapped[: max_lines - 1], cut(last, width)]
        out.extend(wrapped)
    return out or [""]


def column_widths(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Sequence[str]]],
    width: int,
    shrink: Sequence[Shrink],
) -> list[int]:
    """How wide each column is drawn: as wide as its widest line when the table fits in
    `width`, else narrowed step by step in the order of `shrink`."""
    texts = [[c.header, *(p for row in rows for p in row[i])] for i, c in enumerate(columns)]
    widths = [_natural(t) for t in texts]
    total = sum(widths) + cells(GAP) * (len(widths) - 1)
    for step in shrink:
        if total <= width:
            break
        unbreakable = 1 if step.split_words else _longest_piece(texts[step.index])
        floor = max(step.floor, unbreakable, 1)
        give = min(total - width, max(0, widths[step.index] - floor))
        widths[step.index] -= give
        total -= give
    return widths


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Sequence[str]]],
    width: int,
    shrink: Sequence[Shrink],
) -> str:
    """A table in the style of `tabulate`'s "simple" format, each cell a list of
    paragraphs, wrapped to the column widths `column_widths` chose."""
    widths = column_widths(columns, rows, width, shrink)
    out = _block([[c.header] for c in columns], columns, widths, headers=True)
    out.append(GAP.join("-" * w for w in widths))
    for row in rows:
        out.extend(_block(row, columns, widths, headers=False))
    return "\n".join(out)


def _block(
    row: Sequence[Sequence[str]], columns: Sequence[Column], widths: list[int], *, headers: bool
) -> list[str]:
    wrapped = [
        _lines(cell, w, None if headers else c.max_lines)
        for cell, c, w in zip(row, columns, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped)
    if headers:  # a header that wraps is aligned to the rule under it
        wrapped = [[""] * (height - len(lines)) + lines for lines in wrapped]
    return [
        GAP.join(
            pad(lines[i] if i < len(lines) else "", w)
            for lines, w in zip(wrapped, widths, strict=True)
        ).rstrip()
        for i in range(height)
    ]


# ---- SQL --------------------------------------------------------------------------------

# Keywords that start a clause of their own when a statement does not fit on one line.
_CLAUSES = frozenset(
    {
        "FROM",
        "WHERE",
        "SET",
        "VALUES",
        "RETURNING",
        "LIMIT",
        "ORDER",
        "GROUP",
        "HAVING",
        "USING",
        "ON",
        "REFERENCES",
        "FOR",
        "EXECUTE",
        "RETURNS",
        "LANGUAGE",
        "AS",
        "ADD",
        "ALTER",
        "DROP",
        "RENAME",
        "VALIDATE",
        "INCLUDE",
        "BEFORE",
        "AFTER",
        "INSTEAD",
        "FOREIGN",
        "NOT",  # only as NOT VALID: see _clauses
    }
)
# After these, a clause keyword belongs to the clause before it ("IS NOT", "DROP NOT",
# "SET DEFAULT", "ALTER COLUMN x TYPE", "ON DELETE", "FOR EACH", "AS $$").
_GLUED_AFTER = frozenset(
    {"IS", "SET", "DROP", "ADD", "ALTER", "DO", "BEFORE", "AFTER", "OR", "IF", "AND"}
)


def sql_lines(line: str, width: int, indent: str = "") -> list[str]:
    """One line of a safe rewrite in lines of at most `width` columns (`indent` included):
    one statement a line; a statement that does not fit, one clause a line (continued
    clauses indented by two); a clause that still does not fit, wrapped between words.
    A comment is wrapped as comments. The text itself is never changed, nor its own
    indentation (the body of a Python class in a Django or Alembic rewrite)."""
    stripped = line.strip()
    indent += line[: len(line) - len(line.lstrip())]
    if stripped.startswith("--"):
        body = stripped.removeprefix("--").strip()
        return wrap(body, width, indent + "-- ", indent + "-- ")
    out: list[str] = []
    for statement in _statements(stripped):
        if cells(indent + statement) <= width:
            out.append(indent + statement)
            continue
        clauses = _clauses(statement)
        for i, clause in enumerate(clauses):
            first = indent if i == 0 else indent + "  "
            out.extend(wrap(clause, width, first, first + "    "))
    return out or [indent]


def _tokens(text: str) -> list[tuple[int, int, str]]:
    from pglast.parser import ParseError, scan

    try:
        # Keywords that clash with C names carry a suffix in the grammar: ADD_P, IF_P.
        return [(t.start, t.end + 1, t.name.removesuffix("_P")) for t in scan(text)]
    except ParseError:  # not SQL the scanner reads (an open quote): wrapped as words
        return []


def _statements(text: str) -> list[str]:
    """The statements of one recipe line, each with its `;` (a `BEGIN; …; COMMIT;` line)."""
    cuts = [0]
    depth = 0
    for _start, end, name in _tokens(text):
        depth += name == "ASCII_40"
        depth -= name == "ASCII_41"
        if name == "ASCII_59" and depth == 0:
            cuts.append(end)
    cuts.append(len(text))
    return [part for a, b in itertools.pairwise(cuts) if (part := text[a:b].strip())]


def _next_name(tokens: list[tuple[int, int, str]], index: int) -> str:
    return tokens[index + 1][2] if index + 1 < len(tokens) else ""


def _clauses(statement: str) -> list[str]:
    tokens = _tokens(statement)
    cuts = [0]
    depth = 0
    previous = ""
    for index, (start, _end, name) in enumerate(tokens):
        if name == "ASCII_40":
            depth += 1
        elif name == "ASCII_41":
            depth -= 1
        elif (
            depth == 0
            and index > 1
            and name in _CLAUSES
            and previous not in _GLUED_AFTER
            and (name != "NOT" or _next_name(tokens, index) == "VALID")
        ):
            cuts.append(start)
        previous = name
    cuts.append(len(statement))
    return [part for a, b in itertools.pairwise(cuts) if (part := statement[a:b].strip())]
