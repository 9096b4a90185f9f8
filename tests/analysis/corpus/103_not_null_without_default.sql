SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN signup_source text NOT NULL;
