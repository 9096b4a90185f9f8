-- The migration of the README's HTML report screenshot (tools/report_screenshot.sh),
-- run on scenarios/demo/schema.sql.
BEGIN;
ALTER TABLE accounts ADD COLUMN note text;
UPDATE accounts SET note = 'migrated' WHERE id <= 200;
CREATE INDEX accounts_email_idx ON accounts (email);
COMMIT;
CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);
ALTER TABLE orders ADD CONSTRAINT orders_account_fk
    FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2);
