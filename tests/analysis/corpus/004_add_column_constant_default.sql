SET lock_timeout = '2s';
-- PostgreSQL 11+ stores a constant default in the catalog: no rewrite.
ALTER TABLE accounts ADD COLUMN is_active boolean NOT NULL DEFAULT true;
