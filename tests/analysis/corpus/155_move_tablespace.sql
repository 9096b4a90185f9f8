SET lock_timeout = '2s';
SET statement_timeout = '1h';
ALTER TABLE logs SET TABLESPACE archive_disk;
