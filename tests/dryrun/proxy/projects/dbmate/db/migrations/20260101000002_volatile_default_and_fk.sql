-- migrate:up
ALTER TABLE accounts ADD COLUMN created timestamptz DEFAULT clock_timestamp();
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);

-- migrate:down
