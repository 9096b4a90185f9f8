SET LOCAL lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN locale text;
