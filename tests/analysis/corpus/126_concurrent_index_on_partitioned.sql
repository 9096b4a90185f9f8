CREATE INDEX CONCURRENTLY IF NOT EXISTS events_account_id_idx ON events (account_id);
