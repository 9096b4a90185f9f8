-- migrate:up
CREATE INDEX CONCURRENTLY accounts_name ON accounts (name);

-- migrate:down
