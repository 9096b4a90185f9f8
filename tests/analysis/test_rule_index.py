"""The rules' index (pgfence/analysis/rules/_index.py) is true to their modules, and a run
imports only the rules its statements can meet (issue 18)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap

from pglast import ast

from pgfence.analysis import rules as package
from pgfence.analysis.rules import all_rules, rule_ids, rules_admitting
from pgfence.analysis.rules._index import INDEX
from pgfence.registry import all_checks, check_ids


def _entry(rule_id: str) -> tuple[str, str, tuple[str, ...] | None]:
    rule = all_rules()[rule_id]
    nodes = None if rule.nodes is None else tuple(t.__name__ for t in rule.nodes)
    return (rule_id, type(rule).__module__.rsplit(".", 1)[1], nodes)


def test_the_index_names_every_rule_its_module_and_types_in_id_order():
    expected = tuple(_entry(rule_id) for rule_id in all_rules())
    missing = "\n".join(f"    {e!r}," for e in expected if e not in INDEX)
    assert expected == INDEX, f"pgfence/analysis/rules/_index.py needs:\n{missing}"
    modules = {m.name for m in pkgutil.iter_modules(package.__path__) if m.name[0] != "_"}
    assert {module for _, module, _ in INDEX} == modules
    assert rule_ids() == set(all_rules())
    assert check_ids() == set(all_checks())


def test_the_rules_admitting_a_type_are_those_whose_nodes_admit_it_in_order():
    for kind in (ast.AlterTableStmt, ast.IndexStmt, ast.SelectStmt, type(None)):
        expected = [r for r in all_rules().values() if r.nodes is None or issubclass(kind, r.nodes)]
        assert list(rules_admitting(kind)) == expected


def test_a_run_imports_only_the_rules_its_statements_can_meet(tmp_path):
    (tmp_path / "V1__t.sql").write_text("TRUNCATE sessions;\n")
    script = textwrap.dedent(
        f"""
        import sys
        from pgfence.cli import _main_status
        sys.argv = ["pgfence", "analyze", "--no-cache", "--format", "json", {str(tmp_path)!r}]
        _main_status()
        print(sorted(m.rsplit(".", 1)[1] for m in sys.modules
                     if m.startswith("pgfence.analysis.rules.") and "._" not in m))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    imported = done.stdout.strip().splitlines()[-1]
    assert imported == str(
        sorted(["truncate_table", *(m for _, m, nodes in INDEX if nodes is None)])
    ), done.stderr
