ALTER TABLE orders RENAME COLUMN account_id TO acc;
ALTER TABLE orders ALTER COLUMN acc TYPE int;
