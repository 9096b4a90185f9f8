"""pglast's parse trees, built without checking again what its parser has already typed.

Every attribute a pglast node is given goes through `Node.__setattr__`, which checks the
value against the attribute's C type (an isinstance, an enum look-up, an adaptor that
turns lists into tuples and dicts into nodes): that is for nodes built by hand. pglast's
parser hands it values of the final types already (tuples, enum members, bools, nodes),
and the checks are most of what `parse_sql` costs: bench/analyze.py's 1,200 statements
parse in 78 ms with them, 22 ms without (process time, one run side by side).

So while `parse_sql` here builds a tree the attributes are set as they come; any node
built otherwise (pgfence's fixes, pglast's own `Node(dict)`) is still checked.

Printing a tree back (`sql_text`) starts, in pglast, by giving every node its chain of
ancestors, with a Visitor class defined, and its methods listed by `inspect.getmembers`,
on every call: 40% of a print of a CREATE INDEX. `_populate_ancestors` gives the same
chains in the same (breadth-first) order without them.

tests/sources/test_trees.py holds the trees, the chains and the printed text of every
scenario's statements the same both ways.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import pglast.ast
import pglast.parser

if TYPE_CHECKING:
    from pglast.visitors import Ancestor

_checked_setattr = pglast.ast.Node.__setattr__
_set_as_given = object.__setattr__


# How many parse_sql calls are building a tree, on any thread: a node another thread
# builds meanwhile is set unchecked too, which only skips a check. The one state of the
# module, and the only way in: pglast reads the classes' __setattr__.
_building = 0


def _setattr(node: pglast.ast.Node, name: str, value: object) -> None:
    if _building:
        _set_as_given(node, name, value)
    else:
        _checked_setattr(node, name, value)


pglast.ast.Node.__setattr__ = _setattr  # type: ignore[method-assign,assignment]


def parse_sql(sql: str) -> tuple[pglast.ast.RawStmt, ...]:
    """`pglast.parse_sql(sql)`, its nodes' attributes set without the checks."""
    global _building
    _building += 1
    try:
        return pglast.parser.parse_sql(sql)
    finally:
        _building -= 1


def sql_text(node: object) -> str:
    """A parse tree back to SQL text, as pglast's RawStream prints it."""
    # Imported here: pglast.stream (with its printers) costs ~5 ms of start-up, and a run
    # prints a tree only for a CREATE INDEX, a finding's recipe or a safe rewrite.
    import pglast.stream
    import pglast.visitors

    # RawStream looks populate_ancestors up in pglast.visitors on each call; from here on
    # pgfence's other prints (fixes/, the proxy's) use it too: the same chains.
    pglast.visitors.populate_ancestors = _populate_ancestors
    return str(pglast.stream.RawStream()(node))  # type: ignore[arg-type]


def _populate_ancestors(tree: object) -> None:
    """pglast.visitors.populate_ancestors: each node of `tree` (a node or a tuple of
    them) given its Ancestor, breadth first, as pglast's Visitor walks it."""
    from pglast.visitors import Ancestor

    node_types = (tuple, pglast.ast.Node)
    todo: deque[tuple[Ancestor, object]] = deque([(Ancestor(), tree)])
    while todo:
        ancestors, item = todo.popleft()
        if isinstance(item, tuple):
            for index, element in enumerate(item):
                chain = ancestors / (item, index)
                if isinstance(element, pglast.ast.Node):
                    _visit(chain, element, todo, node_types)
                elif isinstance(element, tuple):
                    for sub_index, value in enumerate(element):
                        if isinstance(value, node_types):
                            todo.append((chain / (element, sub_index), value))
        elif isinstance(item, pglast.ast.Node):
            _visit(ancestors, item, todo, node_types)


def _visit(
    ancestors: Ancestor,
    node: pglast.ast.Node,
    todo: deque[tuple[Ancestor, object]],
    node_types: tuple[type, ...],
) -> None:
    _set_as_given(node, "ancestors", ancestors)
    for member in node.__slots__:  # type: ignore[attr-defined]
        value = getattr(node, member)
        if isinstance(value, node_types):
            todo.append((ancestors / (node, member), value))
