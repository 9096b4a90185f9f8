SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE metrics ATTACH PARTITION metrics_2024_import
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
