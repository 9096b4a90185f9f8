ALTER TABLE accounts SET TABLESPACE pg_default;
