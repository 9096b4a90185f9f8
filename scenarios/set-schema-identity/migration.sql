ALTER TABLE tickets SET SCHEMA archive;
