CREATE MATERIALIZED VIEW order_counts AS SELECT account_id, count(*) FROM orders GROUP BY account_id;
