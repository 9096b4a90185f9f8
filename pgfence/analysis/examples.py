"""Run a check's own examples: they are its tests and the recipes `pgfence explain` shows."""

from __future__ import annotations

from pgfence.analysis.analyze import analyse
from pgfence.analysis.catalog import Catalog
from pgfence.checks import Check
from pgfence.model import Finding, Migration
from pgfence.sources.sql import split_script


def example_catalog(check: Check) -> Catalog:
    """The schema of the check's examples, as existing tables (in use, with rows)."""
    catalog = Catalog()
    statements, _ = split_script(check.example_schema, "schema.sql")
    for statement in statements:
        if statement.node is not None:
            catalog.apply(statement.node)
    catalog.settle()
    return catalog


def run_example(check: Check, sql: str, *, version: int | None = None) -> list[Finding]:
    """Every finding of a static analysis of `sql` against the check's example schema."""
    version = version or check.example_version
    statements, findings = split_script(
        sql, "example.sql", runner_transaction=check.example_in_runner_transaction
    )
    migration = Migration("example.sql", "sql", tuple(statements), tuple(findings))
    reports, file_findings = analyse([migration], version=version, catalog=example_catalog(check))
    return file_findings + [f for r in reports for f in r.findings]


def example_recipe(check: Check) -> tuple[str, ...]:
    """The safe rewrite of the check's bad example, in its own names."""
    for finding in run_example(check, check.example_bad):
        if finding.rule == check.id and finding.recipe:
            return finding.recipe
    return ()
