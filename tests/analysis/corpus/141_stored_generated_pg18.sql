SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE accounts ADD COLUMN email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;
