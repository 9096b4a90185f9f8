"""A corpus of realistic migrations, each with the exact findings it must give.

tests/analysis/corpus/*.sql run against corpus/schema.sql (as a pg_dump schema), each on
its own. Files 0xx are safe by the book and must give no finding at all; files 1xx each
show one danger (and whatever else is really wrong with them). A header comment
`-- pg: N` picks the Postgres major, `-- runner: transaction` says the migration tool
wraps the file in a transaction.
"""

import pytest

from tests.analysis.corpus_support import cases, findings

EXPECTED = {
    "001_create_invoices": [],
    "002_create_payments_with_fk": [],
    "003_add_nullable_column": [],
    "004_add_column_constant_default": [],
    "005_index_concurrently": [],
    "006_foreign_key_online": [],
    "007_not_null_through_check": [],
    "008_not_null_not_valid_pg18": [],
    "009_unique_using_index": [],
    "010_batched_backfill": [],
    "011_varchar_to_text": [],
    "012_drop_index_concurrently": [],
    "013_refresh_concurrently": [],
    "014_new_table_built_in_place": [],
    "015_detach_concurrently": [],
    "016_enum_add_value": [],
    "017_reporting_view": [],
    "018_attach_with_proof": [],
    "019_explicit_tx_one_table": [],
    "020_runner_wrapped_safe": [],
    "101_index_without_concurrently": [
        (1, "create-index-blocks-writes", "high"),
        (1, "missing-lock-timeout", "medium"),
        (1, "missing-statement-timeout", "low"),
    ],
    "102_volatile_default": [
        (2, "add-column-rewrite", "high"),
        (2, "missing-statement-timeout", "low"),
    ],
    "103_not_null_without_default": [
        (2, "add-column-not-null-no-default", "critical"),
    ],
    "104_int_to_bigint": [
        (3, "alter-column-type-rewrite", "high"),
    ],
    "105_text_to_varchar": [
        (3, "alter-column-type-rewrite", "high"),
        (3, "prefer-text", "low"),
    ],
    "106_foreign_key_validated_at_once": [
        (1, "foreign-key-validation", "high"),
        (1, "foreign-key-without-index", "low"),
        (1, "missing-lock-timeout", "medium"),
        (1, "missing-statement-timeout", "low"),
    ],
    "107_set_not_null": [
        (4, "set-not-null-scan", "high"),
    ],
    "108_rename_column": [
        (2, "rename-column", "medium"),
    ],
    "109_drop_column": [
        (2, "drop-column", "critical"),
    ],
    "110_two_tables_one_transaction": [
        (4, "many-exclusive-locks", "medium"),
    ],
    "111_backfill_in_ddl_transaction": [
        (2, "missing-lock-timeout", "medium"),
        (3, "lock-held-during-long-operation", "high"),
        (3, "missing-statement-timeout", "low"),
        (3, "unbatched-data-change", "high"),
    ],
    "112_concurrently_in_runner_transaction": [
        (2, "concurrently-in-transaction", "critical"),
    ],
    "113_begin_without_commit": [
        (1, "begin-without-commit", "high"),
    ],
    "114_begin_in_runner_transaction": [
        (2, "begin-in-runner-transaction", "medium"),
    ],
    "115_lock_timeout_too_late": [
        (1, "missing-lock-timeout", "medium"),
    ],
    "116_lock_timeout_too_long": [
        (2, "lock-timeout-too-long", "medium"),
    ],
    "117_set_local_outside_transaction": [
        (2, "missing-lock-timeout", "medium"),
    ],
    "118_validate_in_same_transaction": [
        (4, "validate-in-same-transaction", "high"),
    ],
    "119_enum_value_used_at_once": [
        (3, "enum-value-used-in-transaction", "critical"),
    ],
    "120_truncate_sessions": [
        (2, "truncate-table", "critical"),
    ],
    "121_drop_table": [
        (2, "drop-table", "critical"),
    ],
    "122_vacuum_full_and_cluster": [
        (3, "vacuum-full", "high"),
        (4, "cluster-table", "high"),
    ],
    "123_refresh_blocking": [
        (3, "refresh-matview-blocks-reads", "high"),
    ],
    "124_partition_with_default": [
        (3, "attach-partition-default-scan", "high"),
    ],
    "125_detach_blocking": [
        (2, "detach-partition-blocking", "medium"),
    ],
    "126_concurrent_index_on_partitioned": [
        (1, "concurrent-index-on-partitioned-table", "critical"),
    ],
    "127_new_table_type_hygiene": [
        (1, "ban-char", "low"),
        (1, "prefer-bigint", "low"),
        (1, "prefer-identity", "low"),
        (1, "prefer-jsonb", "low"),
        (1, "prefer-text", "low"),
        (1, "prefer-timestamptz", "low"),
    ],
    "128_ignores": [
        (6, "unused-ignore", "low"),
    ],
    "129_disable_triggers": [
        (2, "disable-trigger", "medium"),
        (4, "disable-trigger", "low"),
    ],
    "130_dynamic_sql": [
        (1, "unanalysable", "medium"),
    ],
    "131_duplicate_assignment": [
        (1, "duplicate-column", "critical"),
    ],
    "132_long_index_name": [
        (1, "identifier-too-long", "low"),
    ],
    "133_domain_constraint": [
        (1, "domain-constraint-validation", "high"),
        (1, "missing-lock-timeout", "medium"),
        (1, "missing-statement-timeout", "low"),
    ],
    "134_sequence_restart": [
        (2, "alter-sequence", "medium"),
    ],
    "135_reindex": [
        (3, "reindex-blocks", "high"),
    ],
    "136_delete_everything": [
        (1, "missing-statement-timeout", "low"),
        (1, "unbatched-data-change", "high"),
    ],
    "137_virtual_column_on_pg17": [
        (3, "requires-newer-postgres", "critical"),
    ],
    "138_unique_constraint_in_place": [
        (3, "unique-constraint-builds-index", "high"),
    ],
    "139_add_column_with_references": [
        (2, "add-column-foreign-key", "medium"),
    ],
    "140_attach_partition_unproven": [
        (3, "attach-partition-scan", "medium"),
    ],
    "141_stored_generated_pg18": [
        (3, "add-column-rewrite", "high"),
    ],
    "142_rename_table": [
        (2, "rename-table", "medium"),
    ],
    "143_trigger_on_busy_table": [
        (7, "create-trigger", "low"),
    ],
    "144_lock_table_then_work": [
        (3, "lock-table", "medium"),
    ],
    "145_exclusion_constraint": [
        (4, "add-exclusion-constraint", "high"),
    ],
    "146_drop_not_null": [
        (2, "drop-not-null", "low"),
    ],
    "147_schema_cascade": [
        (1, "drop-schema", "critical"),
    ],
    "148_file_ignore": [],
    "149_file_ignore_unused": [
        (1, "unused-ignore", "low"),
    ],
    "150_check_constraint_at_once": [
        (3, "check-constraint-validation", "high"),
    ],
    "151_concurrent_index_not_rerunnable": [
        (1, "concurrently-without-if-exists", "low"),
    ],
    "152_drop_index_in_place": [
        (2, "drop-index-blocks-reads", "medium"),
    ],
    "153_drop_audit_trigger": [
        (2, "drop-trigger", "low"),
    ],
    "154_unlogged_staging": [
        (3, "set-logged-unlogged", "high"),
    ],
    "155_move_tablespace": [
        (3, "alter-table-rewrite", "high"),
    ],
    "156_typo": [
        (2, "parse-error", "critical"),
    ],
    "157_psql_script": [
        (1, "psql-meta-command", "info"),
    ],
    "158_widen_column_with_partial_index": [
        (4, "alter-column-type-rebuilds-index", "high"),
    ],
}

CASES = {case.name: case for case in cases()}


def test_the_corpus_is_large_and_every_file_has_expectations():
    assert len(CASES) >= 40
    assert set(CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_are_exactly_the_expected_ones(name):
    assert findings(CASES[name]) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("0")))
def test_safe_by_the_book_migrations_give_no_finding_at_all(name):
    assert findings(CASES[name]) == []


def test_every_rule_fires_somewhere_in_the_corpus_or_its_own_examples():
    from pgfence.checks import Scope
    from pgfence.registry import all_checks

    fired = {rule for expected in EXPECTED.values() for _, rule, _ in expected}
    static = {c.id for c in all_checks().values() if c.scope is Scope.STATEMENT}
    # drop-database only by its own example (test_rules.py): no one has one in a migration.
    assert static - fired <= {"drop-database"}


def _all_findings():
    from pgfence.analysis.analyze import analyse
    from pgfence.analysis.schema import catalog_from_dump
    from pgfence.model import Migration
    from pgfence.sources.sql import split_script
    from tests.analysis.corpus_support import SCHEMA

    for case in CASES.values():
        statements, _ = split_script(
            case.path.read_text(), case.name, runner_transaction=case.runner_transaction
        )
        reports, _ = analyse(
            [Migration(case.name, "sql", tuple(statements))],
            version=case.version,
            catalog=catalog_from_dump(str(SCHEMA)),
        )
        yield from (f for r in reports for f in r.findings)


def _sql_of(step):
    """A recipe step without its comment lines; None for shell commands and templates."""
    text = "\n".join(line for line in step.splitlines() if not line.lstrip().startswith("--"))
    text = text.split("  -- ")[0] if "\n" not in text else text
    if not text.strip() or "<" in text or text.lstrip().startswith("pg_repack"):
        return None
    return text


def test_every_recipe_step_is_sql_that_parses():
    import pglast

    from pgfence.analysis.examples import run_example
    from pgfence.registry import all_checks

    found = list(_all_findings())
    for check in all_checks().values():
        if check.tested_by_examples:
            found += run_example(check, check.example_bad)
    steps = [(f.rule, step) for f in found for step in f.recipe]
    assert len(steps) > 100
    for rule, step in steps:
        sql = _sql_of(step)
        if sql is not None:
            try:
                pglast.parse_sql(sql)
            except pglast.parser.ParseError as exc:
                raise AssertionError(
                    f"{rule}: recipe step does not parse: {step!r}: {exc}"
                ) from None


def _recipe(rule, name):
    found = [f for f in _all_findings() if f.rule == rule and f.location.file == name]
    assert found, (rule, name)
    return found[0].recipe


def test_recipes_use_the_migrations_own_names():
    fk = _recipe("foreign-key-validation", "106_foreign_key_validated_at_once")
    assert fk[0] == (
        "ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) "
        "REFERENCES orders (id) NOT VALID;"
    )
    assert fk[-1] == "ALTER TABLE order_items VALIDATE CONSTRAINT order_items_order_id_fkey;"
    index = _recipe("foreign-key-without-index", "106_foreign_key_validated_at_once")
    assert index[0].endswith(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS order_items_order_id_idx ON order_items (order_id);"
    )
    assert index[0].startswith("-- outside any transaction block")


def test_backfill_recipes_are_batched_and_end_by_themselves():
    [step] = _recipe("unbatched-data-change", "111_backfill_in_ddl_transaction")
    assert "each its own transaction" in step
    assert step.endswith(
        "UPDATE orders SET currency = 'EUR' WHERE ctid = ANY (ARRAY(SELECT ctid FROM orders "
        "WHERE currency IS DISTINCT FROM 'EUR' LIMIT 10000));"
    )


def test_default_partition_recipe_excludes_the_new_bound():
    recipe = _recipe("attach-partition-default-scan", "124_partition_with_default")
    assert recipe[0] == (
        "ALTER TABLE events_default ADD CONSTRAINT events_default_excludes_new_bound CHECK (NOT ("
        "created_at IS NOT NULL AND created_at >= '2026-01-01' AND created_at < '2027-01-01')) "
        "NOT VALID;"
    )


def test_set_not_null_recipe_depends_on_the_version():
    pg16 = _recipe("set-not-null-scan", "107_set_not_null")
    assert "CHECK (total IS NOT NULL) NOT VALID" in pg16[0]
    assert any("SET NOT NULL;" in step for step in pg16)


def test_partitioned_index_recipe_builds_each_partition_concurrently():
    recipe = _recipe("concurrent-index-on-partitioned-table", "126_concurrent_index_on_partitioned")
    assert "ON ONLY events (account_id);" in recipe[1]
    partitions = [s for s in recipe if "CONCURRENTLY" in s]
    assert len(partitions) == 3  # events_2024, events_2025, events_default
    assert (
        "ALTER INDEX events_account_id_idx ATTACH PARTITION events_2024_account_id_idx;" in recipe
    )


WEIRD_SCHEMA = '''
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Order ""Items""" (id bigint PRIMARY KEY, "Col X" text, n int);
CREATE TABLE "Accounts" (id bigint PRIMARY KEY, "E-mail" text);
CREATE MATERIALIZED VIEW "Totals" AS SELECT 1 AS one;
'''

WEIRD_MIGRATION = '''
ALTER TABLE "Sales Data"."Order ""Items""" ADD COLUMN token uuid DEFAULT gen_random_uuid();
CREATE INDEX ON "Sales Data"."Order ""Items""" ("Col X");
ALTER TABLE "Sales Data"."Order ""Items""" ALTER COLUMN "Col X" SET NOT NULL;
ALTER TABLE "Sales Data"."Order ""Items""" ALTER COLUMN n TYPE bigint;
ALTER TABLE "Sales Data"."Order ""Items""" ADD COLUMN account_id bigint REFERENCES "Accounts";
ALTER TABLE "Accounts" ADD CONSTRAINT "E-mail unique" UNIQUE ("E-mail");
ALTER TABLE "Accounts" RENAME COLUMN "E-mail" TO "Mail";
ALTER TABLE "Accounts" ADD COLUMN c int NOT NULL;
UPDATE "Accounts" SET id = id;
REFRESH MATERIALIZED VIEW "Totals";
DROP TABLE "Sales Data"."Order ""Items""";
'''


@pytest.mark.parametrize("version", [14, 18])
def test_recipes_quote_names_that_need_it(tmp_path, version):
    """Recipes are run as written: a table or column whose name needs quotes has them."""
    import pglast

    from pgfence.analysis.analyze import analyse
    from pgfence.analysis.schema import catalog_from_dump
    from pgfence.model import Migration
    from pgfence.sources.sql import split_script

    schema = tmp_path / "schema.sql"
    schema.write_text(WEIRD_SCHEMA)
    statements, _ = split_script(WEIRD_MIGRATION, "weird.sql")
    reports, _ = analyse(
        [Migration("weird.sql", "sql", tuple(statements))],
        version=version,
        catalog=catalog_from_dump(str(schema)),
    )
    steps = [(f.rule, step) for r in reports for f in r.findings for step in f.recipe]
    assert len({rule for rule, _ in steps}) >= 8
    for rule, step in steps:
        sql = _sql_of(step)
        if sql is None:
            continue
        try:
            pglast.parse_sql(sql)
        except pglast.parser.ParseError as exc:
            raise AssertionError(f"{rule}: does not parse: {step!r}: {exc}") from None
        assert 'Order "Items"' not in sql.replace('"Order ""Items"""', ""), (rule, step)
        assert " Accounts" not in sql and " Sales Data" not in sql, (rule, step)
