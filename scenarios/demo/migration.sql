-- A typical "small" migration that would lock production for minutes.
ALTER TABLE accounts ADD COLUMN api_token uuid DEFAULT gen_random_uuid();
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE orders ADD CONSTRAINT orders_account_fk
    FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
