CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_account_id_status_created_at_for_the_monthly_billing_report_idx
    ON orders (account_id, status, created_at);
