ALTER TABLE accounts ADD COLUMN locale text;
SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN currency text;
