ALTER TABLE accounts ALTER COLUMN created TYPE timestamptz;
