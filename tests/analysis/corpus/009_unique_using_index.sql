CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_coupon_code_key ON orders (coupon_code);
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_coupon_code_key UNIQUE USING INDEX orders_coupon_code_key;
