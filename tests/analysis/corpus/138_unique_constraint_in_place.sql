SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE orders ADD CONSTRAINT orders_coupon_code_key UNIQUE (coupon_code);
