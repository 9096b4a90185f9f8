-- the deploy tool sets lock_timeout for every migration
-- pgfence-ignore-file: missing-lock-timeout
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);
ALTER TABLE sessions ADD COLUMN revoked boolean NOT NULL DEFAULT false;
