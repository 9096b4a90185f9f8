ALTER TABLE orders ALTER CONSTRAINT orders_account_id_fkey NOT ENFORCED;
