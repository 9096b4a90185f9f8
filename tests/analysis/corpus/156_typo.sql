SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN;
ALTER TABLE accounts ADD COLUMN nickname text;
