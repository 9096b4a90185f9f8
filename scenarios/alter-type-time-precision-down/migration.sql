ALTER TABLE shifts ALTER COLUMN starts TYPE time(0);
