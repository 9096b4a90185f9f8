"""The walk runs a rule only on the statements whose tree type its `nodes` names
(analysis/analyze.py: StatementWalker.rules_for). Run on every statement instead, no rule
raises anything more on the corpora: the realistic corpus, the scenarios, the sources'
fixtures and every check's own examples."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from pglast import ast

from pgfence.analysis.analyze import StatementWalker, analyse
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.examples import example_catalog, run_example
from pgfence.analysis.rules import all_rules
from pgfence.analysis.schema import catalog_from_dump
from pgfence.checks import RuleSettings
from pgfence.model import Finding, Migration, StatementReport
from pgfence.scenarios import load_all
from pgfence.sources.sql import split_script
from tests.analysis.corpus_support import SCHEMA, cases

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "sources" / "fixtures"
GAPS = HERE / "dispatch"  # statement types the other corpora do not raise on


def _every_rule(self: StatementWalker, kind: type) -> list:
    return self.settings.active(all_rules())


def _texts() -> list[tuple[str, str, Catalog | None, int]]:
    """(name, SQL, starting schema, major) of every corpus file."""
    out: list[tuple[str, str, Catalog | None, int]] = []
    for case in cases():
        out.append((case.name, case.path.read_text(), catalog_from_dump(str(SCHEMA)), case.version))
    for scenario in load_all():
        if scenario.migration.exists():
            schema = catalog_from_dump(str(scenario.schema)) if scenario.schema.exists() else None
            out.append((scenario.name, scenario.migration.read_text(), schema, 18))
    for path in sorted(SOURCES.rglob("*.sql")):
        out.append((str(path.relative_to(SOURCES)), path.read_text(), None, 18))
    gaps = catalog_from_dump(str(GAPS / "schema.sql"))
    out.append(("dispatch", (GAPS / "migration.sql").read_text(), gaps, 18))
    return out


def _reports(text: str, catalog: Catalog | None, version: int) -> list[StatementReport]:
    statements, file_findings = split_script(text, "m.sql")
    migration = Migration("m.sql", "sql", tuple(statements), tuple(file_findings))
    return analyse([migration], version=version, catalog=catalog)[0]


def _findings(text: str, catalog: Catalog | None, version: int) -> list[Finding]:
    return [f for r in _reports(text, catalog, version) for f in r.findings]


def _key(findings: list[Finding]) -> list[tuple[int, str, str]]:
    return [(f.location.line, f.rule, f.message) for f in findings]


def test_most_rules_name_the_statements_they_look_at():
    rules = all_rules().values()
    assert sum(r.nodes is not None for r in rules) >= 40
    for rule in rules:
        assert rule.nodes is None or all(issubclass(t, ast.Node) for t in rule.nodes), rule.id


def test_a_rule_runs_only_on_the_statements_it_names():
    walker = StatementWalker(Catalog(), 18, RuleSettings())
    on_update = {r.id for r in walker.rules_for(ast.UpdateStmt)}
    assert "unbatched-data-change" in on_update and "drop-table" not in on_update
    assert "identifier-too-long" in on_update  # nodes=None: every statement
    order = list(all_rules())
    assert [r.id for r in walker.rules_for(ast.AlterTableStmt)] == [
        i for i in order if i in {r.id for r in walker.rules_for(ast.AlterTableStmt)}
    ]


def test_running_every_rule_on_every_corpus_statement_finds_nothing_more(monkeypatch):
    texts = _texts()
    assert len(texts) > 150
    dispatched = [_key(_findings(text, copy.deepcopy(schema), v)) for _, text, schema, v in texts]
    monkeypatch.setattr(StatementWalker, "rules_for", _every_rule)
    everywhere = [_key(_findings(text, copy.deepcopy(schema), v)) for _, text, schema, v in texts]
    differences = [
        (name, sorted(set(b) - set(a)))
        for (name, *_), a, b in zip(texts, dispatched, everywhere, strict=True)
        if a != b
    ]
    assert differences == []
    fired = {rule for found in dispatched for _, rule, _ in found}
    assert len(fired & set(all_rules())) >= 30  # the corpora exercise most rules


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_a_rules_own_examples_find_the_same_when_every_rule_runs_everywhere(rule_id, monkeypatch):
    rule = all_rules()[rule_id]
    examples = [rule.example_bad, rule.example_good]
    dispatched = [_key(run_example(rule, sql)) for sql in examples]
    assert example_catalog(rule) is not None
    monkeypatch.setattr(StatementWalker, "rules_for", _every_rule)
    assert [_key(run_example(rule, sql)) for sql in examples] == dispatched
    assert any(f[1] == rule_id for f in dispatched[0])  # the bad example raises the rule


def test_the_corpora_show_each_rule_raising_on_every_type_it_names():
    raised = {
        (f.rule, type(r.statement.node))
        for _, text, schema, v in _texts()
        for r in _reports(text, copy.deepcopy(schema), v)
        for f in r.findings
    }
    for rule in all_rules().values():
        found = _reports(rule.example_bad, example_catalog(rule), rule.example_version)
        raised |= {(f.rule, type(r.statement.node)) for r in found for f in r.findings}
    unseen = [
        (rule.id, kind.__name__)
        for rule in all_rules().values()
        for kind in rule.nodes or ()
        if (rule.id, kind) not in raised
    ]
    assert unseen == []
