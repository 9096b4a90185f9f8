SET lock_timeout = '2s';
ALTER TABLE metrics_2024_import ADD CONSTRAINT metrics_2024_bound
    CHECK (recorded_at IS NOT NULL AND recorded_at >= '2024-01-01' AND recorded_at < '2025-01-01')
    NOT VALID;
ALTER TABLE metrics_2024_import VALIDATE CONSTRAINT metrics_2024_bound;
ALTER TABLE metrics ATTACH PARTITION metrics_2024_import
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE metrics_2024_import DROP CONSTRAINT metrics_2024_bound;
