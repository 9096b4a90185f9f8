SET lock_timeout = '2s';
SET statement_timeout = '10min';
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
