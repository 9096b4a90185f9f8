-- pgfence-ignore-file: missing-lock-timeout, drop-index-blocks-reads
ALTER TABLE sessions ADD COLUMN revoked_at timestamptz;
