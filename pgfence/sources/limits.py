"""How much pgfence reads: the bounds that keep hostile input a one-line error.

A migration is a few kilobytes of statements a few levels deep. Input far outside that
would otherwise crash or swamp the process, so each bound here is checked before the
step it protects, and going over one is a `BadInput` naming the file and line:

- pglast turns libpg_query's parse tree into Python objects with C code that recurses
  without a check: a left-nested chain such as `a + a + … + a` of 30,000 terms (which
  the grammar builds without limit) kills the process with SIGSEGV. libpg_query's own
  JSON output does check its stack, and is forty times cheaper than pglast's objects, so
  every statement is measured through it first (`measure`) and only then parsed.
- pglast's printer, which recipes and the catalog use to write a statement back out,
  recurses in Python: about 3 frames per level of the tree, so 160 terms of `a + a + …`
  already exceed Python's recursion limit. `MAX_NESTING` stays below that.
- Python's `ast.parse` raises RecursionError (or MemoryError) on an expression nested
  a few thousand deep, and pgfence's readers of Python and JavaScript trees recurse:
  those trees are measured (without recursion) against `MAX_PYTHON_NESTING` and
  `MAX_JS_NESTING` before they are read.
- A parse tree costs 60-80 bytes per node in Python and 4 µs to build: a 16 MB file of
  `SELECT a.b, a.b, …` would be 30 million nodes (2 GB, two minutes). Statements,
  nodes and the text of one statement are counted per file (`Budget`).
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import pglast.parser

# The SQL text of one statement handed to the parser (COPY data is not part of it).
MAX_STATEMENT_CHARS = 1 << 20
# Levels of nesting in one statement's parse tree: nodes inside nodes (each term of
# `a + a + a` is one more level, as is each sub-query or call).
MAX_NESTING = 128
# Levels of nesting in a Python or JavaScript migration's syntax tree. pgfence's readers
# of those trees recurse; real migrations are 16 (Python) and 22 (JavaScript) deep.
MAX_PYTHON_NESTING = 100
MAX_JS_NESTING = 200
# Comment markers (`--`, `/*`) in one SQL file: psql's lexer keeps each comment.
MAX_COMMENTS = 500_000
# Statements (and psql meta-commands) in one file.
MAX_STATEMENTS = 100_000
# Parse-tree nodes (JSON objects) of all the statements of one file.
MAX_TREE_NODES = 2_000_000

T = TypeVar("T")

_STACK_DEPTH = "stack depth limit exceeded"
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACE_SIGNS = bytes.maketrans(b"{}", b"\x01\xff")  # +1 and -1 as signed bytes
_NOT_BRACES = bytes(c for c in range(256) if c not in b"{}")


class LimitExceeded(Exception):
    """Input over one of the bounds above; the caller knows the file and line."""


@dataclass(frozen=True)
class TreeSize:
    nodes: int  # JSON objects of the parse tree (about two per node)
    depth: int  # deepest nesting of its nodes


def measure(sql: str) -> TreeSize | None:
    """The size of `sql`'s parse tree, without building it in Python.

    None when libpg_query rejects the text: pglast's own parse then reports the error
    (it fails before it converts anything). Raises LimitExceeded when the tree is too
    deep for libpg_query itself, or deeper than `MAX_NESTING`.
    """
    if len(sql) > MAX_STATEMENT_CHARS:
        raise LimitExceeded(
            f"statement is {len(sql) / 1e6:.1f} million characters long; pgfence reads "
            f"statements of up to {MAX_STATEMENT_CHARS / 1e6:.1f} million"
        )
    try:
        tree = pglast.parser.parse_sql_json(sql)
    except pglast.parser.ParseError as exc:
        if _STACK_DEPTH in str(exc):
            raise LimitExceeded(_too_deep(None)) from None
        return None
    size = tree_size(tree, strings_may_hold_braces="{" in sql or "}" in sql)
    if size.depth > MAX_NESTING:
        raise LimitExceeded(_too_deep(size.depth))
    return size


def tree_size(tree: str, *, strings_may_hold_braces: bool = True) -> TreeSize:
    """Objects and their deepest nesting in the JSON text `tree`.

    Braces inside strings (an SQL literal '{1,2}') are not structure; they can only be
    there when the statement's own text holds a brace, so only then are strings cut out.
    """
    if strings_may_hold_braces:
        tree = _JSON_STRING.sub("", tree)
    braces = tree.encode().translate(_BRACE_SIGNS, _NOT_BRACES)
    depth = max(itertools.accumulate(array("b", braces)), default=0)
    # libpg_query wraps every statement in {"version", "stmts": [{"stmt": …}]}, and each
    # node is two objects: {"A_Expr": {"lexpr": …}}.
    return TreeSize(braces.count(b"\x01"), max(0, depth - 1) // 2)


def _too_deep(depth: int | None) -> str:
    levels = f"{depth} levels" if depth is not None else "thousands of levels"
    return (
        f"statement nested {levels} deep (operators, calls or sub-queries inside each "
        f"other); pgfence reads statements nested up to {MAX_NESTING} levels"
    )


@dataclass
class Budget:
    """What one file may still cost: its statements and the nodes of their parse trees."""

    statements: int = MAX_STATEMENTS
    nodes: int = MAX_TREE_NODES

    def take_statement(self) -> None:
        self.statements -= 1
        if self.statements < 0:
            raise LimitExceeded(
                f"file holds more than {MAX_STATEMENTS:,} statements; split it into "
                "smaller migrations"
            )

    def take_nodes(self, count: int) -> None:
        self.nodes -= count
        if self.nodes < 0:
            raise LimitExceeded(
                f"the statements of this file parse into more than {MAX_TREE_NODES:,} "
                "nodes; split it into smaller migrations"
            )


def code_too_deep(language: str, limit: int) -> str:
    return (
        f"{language} nested more than {limit} levels deep (expressions, calls or blocks "
        f"inside each other); pgfence reads {language} nested up to {limit} levels"
    )


def deeper_than(limit: int, root: T, children: Callable[[T], Iterable[T]]) -> T | None:
    """The first node of the tree `root` that is more than `limit` levels deep, or None.

    Walks with a stack of its own, stopping at the limit: cost in proportion to the nodes
    above it, whatever the depth of the tree.
    """
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        stack.extend((child, depth + 1) for child in children(node))
    return None
