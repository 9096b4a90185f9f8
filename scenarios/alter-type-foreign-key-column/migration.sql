ALTER TABLE orders ALTER COLUMN account_id TYPE int;
