"""The import graph of pgfence has no cycle, counting what import-linter cannot see:
modules imported by name (`importlib.import_module(f"pgfence.reporting.{fmt}")`)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "pgfence"


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _prefix(argument: ast.expr, module: str) -> str | None:
    """The fixed start of a module name given as a string or an f-string."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    if not isinstance(argument, ast.JoinedStr):
        return None
    text = ""
    for part in argument.values:
        if isinstance(part, ast.Constant):
            text += str(part.value)
        elif isinstance(part.value, ast.Name) and part.value.id == "__name__":
            text += module
        else:
            return text
    return text


def string_imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    edges = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in ("import_module", "__import__"):
                continue
            prefix = _prefix(node.args[0], module)
            assert prefix is not None, f"{path}: a module imported by a name pgfence cannot read"
            targets = [m for m in graph.modules if m.startswith(prefix) and m != module]
            assert targets, f"{path}: {prefix!r} names no module of pgfence"
            edges.extend((module, target) for target in targets)
    return edges


def test_no_module_imported_by_name_imports_its_importer_back():
    graph = grimp.build_graph("pgfence")
    edges = string_imports(graph)
    # The four registries that import by name: output formats, migration formats, rules,
    # transaction policies.
    assert {importer for importer, _ in edges} == {
        "pgfence.reporting.formats",
        "pgfence.sources.formats",
        "pgfence.analysis.rules",
        "pgfence.analysis.policies",
    }
    for importer, imported in edges:
        graph.add_import(importer=importer, imported=imported)
    for importer, imported in edges:
        chain = graph.find_shortest_chain(importer=imported, imported=importer)
        assert chain is None, (
            f"{importer} imports {imported} by name, which imports it back: {chain}"
        )


def test_the_graph_sees_imports_inside_functions():
    """import-linter's contracts count them (they are most of the pipeline's lazy imports)."""
    graph = grimp.build_graph("pgfence")
    assert graph.direct_import_exists(importer="pgfence.api", imported="pgfence.dryrun.runner")
