SET lock_timeout = '2s';
ALTER TABLE accounts DROP COLUMN legacy_code;
