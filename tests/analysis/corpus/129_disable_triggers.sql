SET lock_timeout = '2s';
ALTER TABLE orders DISABLE TRIGGER ALL;
UPDATE orders SET total = 0 WHERE id = 1;
ALTER TABLE orders ENABLE TRIGGER ALL;
