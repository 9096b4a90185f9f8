SET TimeZone = 'America/New_York';
ALTER TABLE notes ALTER COLUMN at TYPE timestamp;
