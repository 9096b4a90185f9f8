SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN account_id DROP NOT NULL;
