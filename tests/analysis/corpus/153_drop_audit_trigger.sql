SET lock_timeout = '2s';
DROP TRIGGER IF EXISTS orders_audit ON orders;
