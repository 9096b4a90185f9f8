SET lock_timeout = '2s';
SET statement_timeout = '15min';
ALTER TABLE logs ALTER COLUMN message TYPE varchar(500);
