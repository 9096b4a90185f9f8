"""pglast's parse trees, built without checking again what its parser has already typed.

Every attribute a pglast node is given goes through `Node.__setattr__`, which checks the
value against the attribute's C type (an isinstance, an enum look-up, an adaptor that
turns lists into tuples and dicts into nodes): that is for nodes built by hand. pglast's
parser hands it values of the final types already (tuples, enum members, bools, nodes),
and the checks are most of what `parse_sql` costs: bench/analyze.py's 1,200 statements
parse in 78 ms with them, 22 ms without (process time, one run side by side).

So while `parse_sql` here builds a tree the attributes are set as they come; any node
built otherwise (pgfence's fixes, pglast's own `Node(dict)`) is still checked.
tests/sources/test_trees.py holds the two trees of every scenario's statements equal,
attribute by attribute and type by type.
"""

from __future__ import annotations

import pglast.ast
import pglast.parser

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
