SET lock_timeout = '2s';
SET statement_timeout = '10min';
REFRESH MATERIALIZED VIEW daily_revenue;
