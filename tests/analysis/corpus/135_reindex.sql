SET lock_timeout = '2s';
SET statement_timeout = '30min';
REINDEX INDEX orders_account_id_idx;
