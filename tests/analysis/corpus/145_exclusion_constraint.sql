CREATE EXTENSION IF NOT EXISTS btree_gist;
SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE sessions ADD CONSTRAINT sessions_one_per_account
    EXCLUDE USING gist (account_id WITH =, tstzrange(expires_at - interval '1 hour', expires_at) WITH &&);
