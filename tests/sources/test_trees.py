"""pgfence's unchecked parse (pgfence/sources/trees.py) builds the trees pglast's checked
one does, on every statement of the scenarios corpus and the source fixtures."""

from __future__ import annotations

from pathlib import Path

import pglast
import pytest
from pglast import ast
from pglast.visitors import Ancestor, Visitor

from pgfence.scenarios import load_all
from pgfence.sources import trees

FIXTURES = Path(__file__).parent / "fixtures"


def _texts() -> list[tuple[str, str]]:
    texts = []
    for scenario in load_all():
        for path in (scenario.schema, scenario.migration):
            if path.exists():
                texts.append((f"{scenario.name}/{path.name}", path.read_text()))
    for path in sorted(FIXTURES.rglob("*.sql")):
        texts.append((str(path.relative_to(FIXTURES)), path.read_text()))
    return texts


def _parsable(text: str) -> bool:
    try:
        pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return False
    return True


def _differences(checked: object, unchecked: object, where: str) -> list[str]:
    if type(checked) is not type(unchecked):
        return [f"{where}: {type(checked).__name__} != {type(unchecked).__name__}"]
    if isinstance(checked, ast.Node):
        out = []
        for name in checked.__slots__:
            out += _differences(
                getattr(checked, name, None), getattr(unchecked, name, None), f"{where}.{name}"
            )
        return out
    if isinstance(checked, tuple):
        if len(checked) != len(unchecked):  # type: ignore[arg-type]
            return [f"{where}: {len(checked)} items != {len(unchecked)}"]  # type: ignore[arg-type]
        return [
            d
            for i, (a, b) in enumerate(zip(checked, unchecked, strict=True))  # type: ignore[call-overload]
            for d in _differences(a, b, f"{where}[{i}]")
        ]
    return [] if checked == unchecked else [f"{where}: {checked!r} != {unchecked!r}"]


def test_the_corpus_is_there_to_compare():
    texts = _texts()
    assert len(texts) > 400
    assert sum(_parsable(text) for _, text in texts) > 400


@pytest.mark.parametrize("name, text", _texts(), ids=lambda v: v if "/" in v else "")
def test_an_unchecked_tree_is_the_checked_tree_attribute_by_attribute(name, text):
    if not _parsable(text):
        pytest.skip("not one parse for pglast (psql meta-commands, COPY data)")
    checked = pglast.parse_sql(text)
    unchecked = trees.parse_sql(text)
    assert _differences(checked, unchecked, name) == []
    assert [s.stmt for s in checked] == [s.stmt for s in unchecked]


def test_a_node_built_by_hand_is_still_checked():
    trees.parse_sql("SELECT 1")
    with pytest.raises(ValueError, match="Bad value"):
        ast.RangeVar(relname=42)
    assert ast.SelectStmt(targetList=[ast.ResTarget(name="a")]).targetList == (
        ast.ResTarget(name="a"),
    )


class _PglastPopulate(Visitor):
    """pglast's own populate_ancestors, the oracle (pgfence replaces it when it prints)."""

    def visit(self, ancestors, node):
        node.ancestors = ancestors


def _nodes(tree: object) -> list[ast.Node]:
    found, todo = [], [tree]
    while todo:
        item = todo.pop()
        if isinstance(item, tuple):
            todo.extend(item)
        elif isinstance(item, ast.Node):
            found.append(item)
            todo.extend(getattr(item, name) for name in item.__slots__)
    return found


def _chain(ancestors: Ancestor) -> list[tuple[int, object]]:
    out = []
    while ancestors is not None:
        out.append((id(ancestors.node), ancestors.member))
        ancestors = ancestors.parent
    return out


@pytest.mark.parametrize("name, text", _texts(), ids=lambda v: v if "/" in v else "")
def test_every_node_has_the_ancestors_pglast_gives_it_and_prints_the_same(name, text, monkeypatch):
    if not _parsable(text):
        pytest.skip("not one parse for pglast (psql meta-commands, COPY data)")
    for raw in trees.parse_sql(text):
        nodes = _nodes(raw.stmt)
        _PglastPopulate()(raw.stmt)
        theirs = [_chain(node.ancestors) for node in nodes]
        trees._populate_ancestors(raw.stmt)
        assert [_chain(node.ancestors) for node in nodes] == theirs
    import pglast.stream
    import pglast.visitors

    statements = [raw.stmt for raw in trees.parse_sql(text)]
    with monkeypatch.context() as patched:
        patched.setattr(pglast.visitors, "populate_ancestors", lambda t: _PglastPopulate()(t))
        theirs = [str(pglast.stream.RawStream()(stmt)) for stmt in statements]
    assert [trees.sql_text(stmt) for stmt in statements] == theirs
