SET lock_timeout = '2s';
SET statement_timeout = '15min';
-- Looks like 011 (varchar -> text: catalog only), but the partial index on it is rebuilt.
ALTER TABLE coupons ALTER COLUMN code TYPE text;
