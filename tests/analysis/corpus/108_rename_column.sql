SET lock_timeout = '2s';
ALTER TABLE accounts RENAME COLUMN name TO display_name;
