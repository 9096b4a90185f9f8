"""--seed on a real server: synthetic rows that every constraint accepts, or a reason."""

from __future__ import annotations

import psycopg
import pytest

from pgfence.dryrun.seed import SeedRequest, seed
from pgfence.dryrun.stats import Stats, TableSize
from pgfence.model import RelKind
from tests.support import database_with

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(40) NOT NULL CHECK (length(name) >= 3),
    plan text NOT NULL CHECK (plan IN ('free', 'pro', 'team')),
    balance numeric(10, 2) NOT NULL CHECK (balance >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_lower_email ON accounts (lower(email));
CREATE TABLE products (
    sku char(8) PRIMARY KEY,
    price positive_int NOT NULL,
    active boolean NOT NULL,
    tags text[]
);
CREATE TABLE orders (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    status order_status NOT NULL,
    placed_at timestamptz NOT NULL,
    shipped_at timestamptz,
    total numeric(12, 2) CHECK (total > 0 AND total < 1000000),
    parent_id integer REFERENCES orders (id),
    CHECK (placed_at < shipped_at)
);
CREATE TABLE order_lines (
    order_id integer NOT NULL REFERENCES orders,
    sku char(8) NOT NULL REFERENCES products,
    qty smallint NOT NULL CHECK (qty BETWEEN 1 AND 100),
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE account_flags (
    account_id bigint NOT NULL REFERENCES accounts,
    flag boolean NOT NULL,
    UNIQUE (account_id, flag)
);
CREATE TABLE settings (name text PRIMARY KEY, enabled boolean NOT NULL UNIQUE);
CREATE TABLE even_numbers (id int PRIMARY KEY, n int NOT NULL CHECK (n % 2 = 0));
CREATE TABLE places (id int PRIMARY KEY, location point NOT NULL);
CREATE TABLE visits (id int PRIMARY KEY, place_id int NOT NULL REFERENCES places);
CREATE TABLE notes (id int PRIMARY KEY, place_id int REFERENCES places, body text);
"""


@pytest.fixture
def schema_db(pg, database_name):
    return database_with(pg, database_name, SCHEMA)


def by_table(summary):
    return {t.relation.removeprefix("public."): t for t in summary.tables}


def scalar(conn, query):
    return conn.execute(query).fetchone()[0]


def test_seeding_satisfies_types_checks_unique_keys_and_foreign_keys(schema_db):
    summary = seed(schema_db, SeedRequest(rows=3000))
    tables = by_table(summary)
    for name in ("accounts", "products", "orders", "order_lines", "account_flags"):
        assert tables[name].filled and tables[name].rows == 3000, tables[name]
    with psycopg.connect(schema_db) as conn:
        for name in ("accounts", "products", "orders", "order_lines", "account_flags"):
            assert scalar(conn, f"SELECT count(*) FROM {name}") == 3000
        # CHECK, NOT NULL and UNIQUE were enforced by COPY; foreign keys (whose triggers
        # seeding keeps quiet) are checked here as a reader would.
        assert (
            scalar(
                conn,
                "SELECT count(*) FROM orders o LEFT JOIN accounts a ON a.id = o.account_id WHERE a.id IS NULL",
            )
            == 0
        )
        assert (
            scalar(
                conn,
                "SELECT count(*) FROM orders o WHERE parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM orders p WHERE p.id = o.parent_id)",
            )
            == 0
        )
        assert (
            scalar(
                conn,
                "SELECT count(*) FROM order_lines l LEFT JOIN products p USING (sku) WHERE p.sku IS NULL",
            )
            == 0
        )
        assert scalar(conn, "SELECT count(DISTINCT lower(email)) FROM accounts") == 3000
        assert (
            scalar(
                conn,
                "SELECT count(*) FROM accounts WHERE plan NOT IN ('free', 'pro', 'team') OR length(name) < 3 OR balance < 0",
            )
            == 0
        )
        assert scalar(conn, "SELECT count(*) FROM orders WHERE NOT (placed_at < shipped_at)") == 0
        assert scalar(conn, "SELECT min(qty) >= 1 AND max(qty) <= 100 FROM order_lines")
        assert scalar(conn, "SELECT count(DISTINCT status) FROM orders") == 3
        assert scalar(conn, "SELECT min(price) > 0 FROM products")
        # Identity and serial columns count up, and their sequences carry on after them.
        assert scalar(conn, "SELECT min(id) = 1 AND max(id) = 3000 FROM accounts")
        conn.execute("INSERT INTO orders (account_id, status, placed_at) VALUES (1, 'new', now())")
        # Statistics are there, as on a production table.
        assert scalar(conn, "SELECT reltuples FROM pg_class WHERE relname = 'orders'") == 3000
    assert summary.rows_per_second > 0


def test_tables_that_cannot_be_filled_are_reported_with_the_reason(schema_db):
    tables = by_table(seed(schema_db, SeedRequest(rows=500)))
    assert not tables["places"].filled
    assert "point" in tables["places"].note
    assert not tables["visits"].filled
    assert "references public.places" in tables["visits"].note
    # A nullable foreign key to an empty table is left NULL: the table is still filled.
    assert tables["notes"].filled and tables["notes"].rows == 500
    assert not tables["even_numbers"].filled
    assert "even_numbers_n_check" in tables["even_numbers"].note
    assert "does not model" in tables["even_numbers"].note
    with psycopg.connect(schema_db) as conn:
        assert scalar(conn, "SELECT count(*) FROM even_numbers") == 0
        assert scalar(conn, "SELECT count(*) FROM notes WHERE place_id IS NOT NULL") == 0


def test_a_unique_key_of_small_types_caps_the_rows_and_says_so(schema_db):
    tables = by_table(seed(schema_db, SeedRequest(rows=500)))
    settings = tables["settings"]
    assert settings.filled and settings.rows == 2  # UNIQUE (enabled boolean): two values
    assert "capped at 2 rows" in settings.note
    # (account_id, flag): 500 accounts times two flags hold all 500 rows.
    assert tables["account_flags"].rows == 500


def test_seed_scale_follows_the_stats_and_reports_tables_it_has_no_size_for(schema_db):
    stats = Stats(
        (
            TableSize("public.accounts", RelKind.TABLE, 200_000, 1, 1),
            TableSize("public.orders", RelKind.TABLE, 800_000, 1, 1),
            TableSize("public.products", RelKind.TABLE, 0, 0, 0),
        )
    )
    tables = by_table(seed(schema_db, SeedRequest(scale=0.01, stats=stats)))
    assert tables["accounts"].rows == 2000
    assert tables["accounts"].production_rows == 200_000
    assert tables["orders"].rows == 8000
    assert tables["products"].note == "empty in production"
    assert tables["order_lines"].note == "not in the stats"
    assert not tables["order_lines"].filled


def test_tables_that_already_hold_rows_are_kept_and_referenced(pg, database_name):
    dsn = database_with(
        pg,
        database_name,
        "CREATE TABLE countries (code text PRIMARY KEY);"
        "INSERT INTO countries VALUES ('fr'), ('nz'), ('pe');"
        "CREATE TABLE cities (id int PRIMARY KEY, country text NOT NULL REFERENCES countries)",
    )
    tables = by_table(seed(dsn, SeedRequest(rows=100)))
    assert tables["countries"].rows == 3 and "kept" in tables["countries"].note
    assert tables["cities"].rows == 100
    with psycopg.connect(dsn) as conn:
        assert {r[0] for r in conn.execute("SELECT DISTINCT country FROM cities")} == {
            "fr",
            "nz",
            "pe",
        }


def test_two_foreign_keys_to_one_kept_table_take_their_own_columns(pg, database_name):
    dsn = database_with(
        pg,
        database_name,
        "CREATE TABLE currencies (id int PRIMARY KEY, code text NOT NULL UNIQUE,"
        " region text NOT NULL, UNIQUE (code, region));"
        "INSERT INTO currencies VALUES (1, 'eur', 'eu'), (2, 'nzd', 'oc'), (3, 'pen', 'sa');"
        "CREATE TABLE prices (id int PRIMARY KEY,"
        " currency_id int NOT NULL REFERENCES currencies (id),"
        " currency_code text NOT NULL REFERENCES currencies (code),"
        " quote_code text NOT NULL, quote_region text NOT NULL,"
        " FOREIGN KEY (quote_code, quote_region) REFERENCES currencies (code, region))",
    )
    tables = by_table(seed(dsn, SeedRequest(rows=50)))
    assert tables["prices"].filled and tables["prices"].rows == 50
    with psycopg.connect(dsn) as conn:
        assert {r[0] for r in conn.execute("SELECT DISTINCT currency_code FROM prices")} <= {
            "eur",
            "nzd",
            "pen",
        }
        orphans = scalar(
            conn,
            "SELECT count(*) FROM prices p WHERE NOT EXISTS (SELECT 1 FROM currencies c"
            " WHERE c.code = p.quote_code AND c.region = p.quote_region)",
        )
        assert orphans == 0
