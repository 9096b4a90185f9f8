\set ON_ERROR_STOP on
SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN avatar_url text;
