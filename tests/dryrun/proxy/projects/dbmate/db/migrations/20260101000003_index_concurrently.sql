-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY orders_account ON orders (account_id);

-- migrate:down
