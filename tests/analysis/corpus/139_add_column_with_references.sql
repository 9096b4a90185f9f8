SET lock_timeout = '2s';
ALTER TABLE sessions ADD COLUMN order_id bigint REFERENCES orders (id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_order_id_idx ON sessions (order_id);
