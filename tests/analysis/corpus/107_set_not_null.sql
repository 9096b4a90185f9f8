-- pg: 16
SET lock_timeout = '2s';
SET statement_timeout = '15min';
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
