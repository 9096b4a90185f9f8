SET TimeZone = 'Europe/Paris';
ALTER TABLE accounts ALTER COLUMN created TYPE timestamptz;
