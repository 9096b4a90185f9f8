SET TimeZone = 'UTC';
ALTER TABLE notes ALTER COLUMN at TYPE timestamp;
