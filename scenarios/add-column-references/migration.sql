ALTER TABLE orders ADD COLUMN referrer_id bigint REFERENCES accounts (id);
