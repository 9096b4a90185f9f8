SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE logs SET UNLOGGED;
