ALTER INDEX accounts_email_idx SET TABLESPACE pg_default;
