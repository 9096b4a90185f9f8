-- runner: transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_country_idx ON accounts (country);
