ALTER TABLE accounts SET SCHEMA archive;
