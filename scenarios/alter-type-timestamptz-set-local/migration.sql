BEGIN;
SET LOCAL TimeZone = 'UTC';
ALTER TABLE accounts ALTER COLUMN created TYPE timestamptz;
COMMIT;
