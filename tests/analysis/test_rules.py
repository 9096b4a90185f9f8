"""Each check's own examples are its tests: the bad one fires it, the good one does not."""

import re

import pytest

from pgfence.analysis.analyze import analyse
from pgfence.analysis.examples import run_example
from pgfence.model import Migration
from pgfence.registry import all_checks
from pgfence.sources.sql import split_script

CHECKS = all_checks()
RULES = {k: c for k, c in CHECKS.items() if c.tested_by_examples}


def _findings(rule, sql):
    return run_example(rule, sql)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_bad_example_fires(rule_id):
    rule = RULES[rule_id]
    hits = [f for f in _findings(rule, rule.example_bad) if f.rule == rule_id]
    assert hits, f"{rule_id} did not fire on its bad example"
    assert all(h.severity == rule.severity for h in hits)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_good_example_is_silent(rule_id):
    rule = RULES[rule_id]
    assert [f for f in _findings(rule, rule.example_good) if f.rule == rule_id] == []


@pytest.mark.parametrize("rule_id", sorted(CHECKS))
def test_docstring_has_the_four_sections(rule_id):
    doc = type(CHECKS[rule_id]).__doc__ or ""
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc, f"{rule_id} lacks {heading}"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule_id)


def test_recipes_use_the_statements_own_names():
    rule = RULES["foreign-key-validation"]
    [finding] = [f for f in _findings(rule, rule.example_bad) if f.rule == rule.id]
    assert finding.recipe[0].startswith(
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id)"
    )
    assert finding.recipe[0].endswith("NOT VALID;")
    assert finding.recipe[-1] == "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;"


def test_tables_created_in_the_same_migration_raise_nothing():
    sql = (
        "CREATE TABLE fresh (id int, email text);\nCREATE INDEX fresh_email ON fresh (email);\n"
        "ALTER TABLE fresh ALTER COLUMN email SET NOT NULL;\n"
    )
    statements, _ = split_script(sql, "m.sql")
    reports, _ = analyse([Migration("m.sql", "sql", tuple(statements))], version=18)
    assert [f.rule for r in reports for f in r.findings] == []


def test_inline_ignore_silences_a_rule():
    sql = (
        "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
        "-- pgfence-ignore: create-index-blocks-writes\nCREATE INDEX i ON accounts (email);\n"
    )
    statements, _ = split_script(sql, "m.sql")
    reports, _ = analyse([Migration("m.sql", "sql", tuple(statements))], version=18)
    assert [f.rule for r in reports for f in r.findings] == []


def test_concurrently_inside_a_transaction_is_critical():
    sql = "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (email);\nCOMMIT;\n"
    statements, _ = split_script(sql, "m.sql")
    reports, _ = analyse([Migration("m.sql", "sql", tuple(statements))], version=18)
    rules = [(f.rule, str(f.severity), f.location.line) for r in reports for f in r.findings]
    assert rules == [("concurrently-in-transaction", "critical", 2)]


def test_foreign_key_covered_by_the_new_tables_own_primary_key_needs_no_index():
    rule = RULES["foreign-key-without-index"]
    sql = (
        "CREATE TABLE account_tags (account_id bigint REFERENCES accounts (id), tag text,"
        " PRIMARY KEY (account_id, tag));"
    )
    assert [f for f in _findings(rule, sql) if f.rule == rule.id] == []
    second_column = (
        "CREATE TABLE account_tags (account_id bigint REFERENCES accounts (id), tag text,"
        " PRIMARY KEY (tag, account_id));"
    )
    assert [f.rule for f in _findings(rule, second_column) if f.rule == rule.id] == [rule.id]


def test_foreign_key_of_a_table_outside_the_known_schema_is_not_guessed():
    rule = RULES["foreign-key-without-index"]
    sql = "ALTER TABLE unknown_table ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES accounts (id) NOT VALID;"
    assert [f for f in _findings(rule, sql) if f.rule == rule.id] == []


@pytest.mark.parametrize(
    ("statement", "rewrite"),
    [
        ("CREATE INDEX ON accounts (email)", "CREATE INDEX CONCURRENTLY ON accounts (email)"),
        (
            "CREATE UNIQUE INDEX accounts_email_key ON accounts (email)",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email)",
        ),
    ],
)
def test_the_concurrent_rewrite_of_an_index_build_is_valid_sql(statement, rewrite):
    """IF NOT EXISTS needs a name: an unnamed index is rewritten without it."""
    import pglast

    rule = RULES["create-index-blocks-writes"]
    [finding] = [f for f in _findings(rule, statement + ";") if f.rule == rule.id]
    step = finding.recipe[-1].splitlines()[-1]
    assert step == rewrite + ";"
    pglast.parse_sql(step)
