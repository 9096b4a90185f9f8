SET lock_timeout = '2s';
SET statement_timeout = '1h';
VACUUM FULL logs;
CLUSTER orders USING orders_created_at_idx;
