CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    total numeric(12, 2) NOT NULL
);
INSERT INTO accounts (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 1000) g;
INSERT INTO orders (account_id, total) SELECT 1 + g % 1000, g FROM generate_series(1, 5000) g;
