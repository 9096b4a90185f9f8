"""Text for a terminal or a CI log: what a migration names is shown, never obeyed.

A migration can name a table `"x<ESC>[2J"`, hide a carriage return or a backspace in a
comment, or reverse the rest of a line with U+202E in a string literal; the server reads
all of it back into pgfence's reports (relation names, error messages, other sessions'
queries and application names in preflight). Written raw, such characters clear or
rewrite the screen, hide text, or start a GitHub workflow command on a line of their own.
Every text format runs what it prints through `visible` (one field, one line) or
`visible_lines` (a whole block), which spell these characters out as Python does
(`\\x1b`, `\\u202e`); JSON keeps the exact text, with the same characters escaped the
JSON way (`json_safe`).

Widths are counted in terminal cells (`cells`), and text is cut only between whole
characters (`cut`): never inside an escape written here, between a base character and
its combining marks, or inside an emoji sequence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

# Unicode bidirectional embeddings, overrides and isolates ("Trojan Source",
# CVE-2021-42574), the implicit direction marks, and the line and paragraph separators
# some terminals and editors break lines at.
_BIDI_AND_SEPARATORS = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
# C0 controls, DEL, C1 controls (U+0080-U+009F: CSI is U+009B), the above, and lone
# surrogates (a file name os.fsdecode could not decode: they cannot even be written).
_OTHERS = f"\x7f-\x9f{_BIDI_AND_SEPARATORS}\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")
# A line that GitHub's runner would read as a workflow command (it trims leading blanks).
_WORKFLOW_COMMAND = re.compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)
# One escape `visible` wrote: a unit `cut` keeps whole.
_ESCAPE = re.compile(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\[tnr]")
_ZWJ = "\u200d"


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape(char: str) -> str:
    """One character as Python spells it in a string literal: `\\r`, `\\x1b`, `\\u202e`."""
    code = ord(char)
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` for one line of a terminal: every control character (newline and tab
    included), bidi override and lone surrogate spelled out."""
    return _UNSAFE.sub(lambda m: escape(m.group()), text)


def visible_lines(text: str) -> str:
    """A block of text for a terminal: as `visible`, but its newlines kept, and no line
    that a CI runner would take for a workflow command (`::error::…`, leading blanks
    ignored): its first colon is spelled out."""
    shown = _UNSAFE_BUT_NEWLINE.sub(lambda m: escape(m.group()), text)
    return _WORKFLOW_COMMAND.sub(lambda m: m.group(1) + "\\x3a", shown)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI_AND_SEPARATORS}]")


def json_safe(text: str) -> str:
    """JSON text with the characters it may hold raw but a terminal would obey (DEL, C1,
    bidi overrides, line separators) written as `\\uXXXX` escapes: the same JSON value.

    Safe on any JSON document: outside strings JSON is ASCII, so each match is inside one.
    (The encoder already escapes C0 controls.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# ---- widths ------------------------------------------------------------------------------


def _joins_previous(char: str) -> bool:
    """A character drawn with the one before it: a combining mark, a variation selector,
    an emoji modifier, or a zero-width joiner."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Mc"):
        return True
    code = ord(char)
    return char == _ZWJ or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF


def clusters(text: str) -> Iterator[str]:
    """`text` in the units drawn as one: an escape of `visible`, a character with its
    combining marks, an emoji joined by zero-width joiners."""
    i, n = 0, len(text)
    while i < n:
        escape_here = _ESCAPE.match(text, i) if text[i] == "\\" else None
        if escape_here:
            yield escape_here.group()
            i = escape_here.end()
            continue
        j = i + 1
        while j < n and (_joins_previous(text[j]) or text[j - 1] == _ZWJ):
            j += 1
        yield text[i:j]
        i = j


def _cluster_cells(cluster: str) -> int:
    first = cluster[0]
    if first == "\\" and len(cluster) > 1:
        return len(cluster)
    if _joins_previous(first):
        return 0
    return 2 if unicodedata.east_asian_width(first) in ("W", "F") else 1


def cells(text: str) -> int:
    """How many terminal columns `text` (one line, already `visible`) takes."""
    if text.isascii():
        return len(text)
    return sum(_cluster_cells(c) for c in clusters(text))


def cut(text: str, width: int, mark: str = "…") -> str:
    """`text` in at most `width` columns, cut between whole characters, with `mark` where
    it was cut."""
    if cells(text) <= width:
        return text
    room = max(0, width - cells(mark))
    out: list[str] = []
    used = 0
    for cluster in clusters(text):
        size = _cluster_cells(cluster)
        if used + size > room:
            break
        out.append(cluster)
        used += size
    return "".join(out) + mark


def pad(text: str, width: int) -> str:
    """`text` followed by blanks up to `width` columns."""
    return text + " " * max(0, width - cells(text))


def _split_at(word: str, room: int) -> tuple[str, str]:
    """The most of `word` that fits `room` columns (at least one character), and the rest."""
    used = taken = 0
    for cluster in clusters(word):
        size = _cluster_cells(cluster)
        if taken and used + size > room:
            break
        used += size
        taken += len(cluster)
    return word[:taken], word[taken:]


def wrap(text: str, width: int, initial: str = "", subsequent: str = "") -> list[str]:
    """`text` (one paragraph, `visible`) in lines of at most `width` columns, indents
    included; between words where it can, else between whole characters."""
    lines: list[str] = []
    indent, line = initial, ""
    for word in text.split():
        while word:
            room = max(1, width - cells(indent))
            if cells(line) + (1 if line else 0) + cells(word) <= room:
                line = f"{line} {word}" if line else word
                break
            if line:
                lines.append(indent + line)
                indent, line = subsequent, ""
                continue
            head, word = _split_at(word, room)
            if word:
                lines.append(indent + head)
                indent = subsequent
            else:
                line = head
    if line or not lines:
        lines.append(indent + line)
    return lines


def fill(text: str, width: int, initial: str = "", subsequent: str = "") -> str:
    """`wrap`, as one string."""
    return "\n".join(wrap(text, width, initial, subsequent))


# ---- colour ------------------------------------------------------------------------------


def color_wanted(choice: str, isatty: bool, environ: Mapping[str, str]) -> bool:
    """Whether to colour: `always` / `never` as said; `auto` colours a terminal unless
    NO_COLOR is set (no-color.org) or TERM is dumb, and FORCE_COLOR colours a pipe too.
    NO_COLOR wins over FORCE_COLOR; an empty value counts as unset."""
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return isatty and environ.get("TERM") != "dumb"
