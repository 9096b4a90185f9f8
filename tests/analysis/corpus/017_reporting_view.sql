CREATE VIEW recent_orders AS
    SELECT id, account_id, total FROM orders WHERE created_at > now() - interval '7 days';
COMMENT ON VIEW recent_orders IS 'orders of the last week';
ALTER TABLE orders ALTER COLUMN status SET STATISTICS 500;
