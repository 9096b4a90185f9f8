SET lock_timeout = '2s';
-- varchar -> text is binary-coercible: catalog only.
ALTER TABLE accounts ALTER COLUMN name TYPE text;
