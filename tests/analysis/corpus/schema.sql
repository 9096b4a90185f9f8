-- The schema every corpus migration starts from (as pg_dump --schema-only would give it).
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
CREATE DOMAIN email_address AS text;

CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email_address NOT NULL,
    name varchar(100),
    plan text,
    country text,
    legacy_code text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);

CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    status order_status NOT NULL DEFAULT 'pending',
    total numeric(12, 2),
    coupon_code text,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_account_id_idx ON orders (account_id);
CREATE INDEX orders_created_at_idx ON orders (created_at);

CREATE TABLE order_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL,
    sku text NOT NULL,
    quantity integer NOT NULL
);

CREATE TABLE logs (
    id integer PRIMARY KEY,
    message text,
    level text
);

CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    account_id bigint,
    expires_at timestamptz
);

CREATE TABLE events (
    id bigint NOT NULL,
    account_id bigint,
    created_at timestamptz NOT NULL,
    payload jsonb
) PARTITION BY RANGE (created_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;

CREATE TABLE metrics (
    id bigint NOT NULL,
    recorded_at timestamptz NOT NULL,
    value double precision
) PARTITION BY RANGE (recorded_at);
CREATE TABLE metrics_2025 PARTITION OF metrics FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE metrics_2024_import (
    id bigint NOT NULL,
    recorded_at timestamptz NOT NULL,
    value double precision
);

CREATE MATERIALIZED VIEW daily_revenue AS
    SELECT date_trunc('day', created_at) AS day, sum(total) AS revenue FROM orders GROUP BY 1;
CREATE UNIQUE INDEX daily_revenue_day_key ON daily_revenue (day);

CREATE SEQUENCE invoice_number_seq;

CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code varchar(20) NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX coupons_active_code_key ON coupons (code) WHERE active;
