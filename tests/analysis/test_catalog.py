from pgfence.analysis import expressions
from pgfence.analysis.analyze import StatementWalker
from pgfence.analysis.catalog import Catalog
from pgfence.checks import RuleSettings
from pgfence.model import RelKind
from pgfence.sources.sql import split_script


def _follow(catalog, sql):
    for statement in split_script(sql, "m.sql")[0]:
        catalog.apply(statement.node)


def test_sequence_owner_follows_tables_and_columns_added_dropped_and_renamed():
    catalog = Catalog(complete=True)
    _follow(catalog, "CREATE TABLE a (id serial);")
    catalog.settle()
    assert catalog.kind_of("public.a_id_seq") is RelKind.SEQUENCE  # the owners map is built
    assert not catalog.is_new("public.a_id_seq")
    _follow(catalog, "ALTER TABLE a ADD COLUMN n bigserial;")
    assert catalog.knows("public.a_n_seq")
    _follow(catalog, "ALTER TABLE a DROP COLUMN n;")
    assert not catalog.knows("public.a_n_seq")
    _follow(catalog, "CREATE TABLE b (id serial);")
    assert catalog.is_new("public.b_id_seq")
    _follow(catalog, "ALTER TABLE a RENAME TO c;")
    assert catalog.kind_of("public.a_id_seq") is RelKind.SEQUENCE  # owned by c now
    _follow(catalog, "DROP TABLE c;")
    assert catalog.kind_of("public.a_id_seq") is RelKind.UNKNOWN
    assert catalog.is_new("public.b_id_seq")


def test_create_index_definition_is_the_statement_printed_once_for_rule_and_catalog(
    monkeypatch,
):
    printed = []
    real = expressions.sql_text
    monkeypatch.setattr(expressions, "sql_text", lambda node: printed.append(node) or real(node))
    catalog = Catalog(complete=True)
    _follow(catalog, "CREATE TABLE t (id int, email text);")
    catalog.settle()
    walker = StatementWalker(catalog, 17, RuleSettings())
    (statement,) = split_script("CREATE INDEX t_email_idx ON t (email);", "m.sql")[0]
    analysis = walker.analyse(statement)
    walker.follow(statement)
    definition = catalog.indexes["public.t_email_idx"].definition
    assert definition == "CREATE INDEX t_email_idx ON t (email)"
    (finding,) = [f for f in analysis.findings if f.rule == "create-index-blocks-writes"]
    assert finding.recipe == (
        "-- outside any transaction block:\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_email_idx ON t (email);",
    )
    assert printed == [statement.node]


def test_the_sequence_owners_kept_up_to_date_are_those_found_again_after_every_statement():
    script = """
        CREATE TABLE a (id serial, note text);
        CREATE TABLE b (id bigserial, a_id int);
        CREATE TABLE plain (x int);
        ALTER TABLE plain ADD COLUMN y text;
        ALTER TABLE plain ADD COLUMN n serial;
        ALTER TABLE a DROP COLUMN note;
        ALTER TABLE a DROP COLUMN id;
        CREATE TABLE a (id serial);
        DROP TABLE plain;
        CREATE TABLE c (id int GENERATED ALWAYS AS IDENTITY);
        ALTER TABLE b RENAME TO d;
        DROP TABLE d;
        CREATE TABLE e (id smallserial);
    """
    catalog = Catalog(complete=True)
    asked = ["public.a_id_seq", "public.b_id_seq", "public.plain_n_seq", "public.c_id_seq"]
    asked.append("public.e_id_seq")
    for statement in split_script(script, "m.sql")[0]:
        catalog.apply(statement.node)
        kept = {s: catalog._owner_of_sequence(s) for s in asked}
        catalog.forget_sequence_owners()
        found = {s: catalog._owner_of_sequence(s) for s in kept}
        assert kept == found, statement.sql
        assert catalog._sequence_owners is not None  # built, and kept for the next one
