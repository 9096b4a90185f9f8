-- A new table referencing accounts: the foreign key locks accounts, so lock_timeout first.
SET lock_timeout = '2s';
CREATE TABLE payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    amount numeric(12, 2) NOT NULL,
    paid_at timestamptz NOT NULL
);
CREATE INDEX payments_account_id_idx ON payments (account_id);
