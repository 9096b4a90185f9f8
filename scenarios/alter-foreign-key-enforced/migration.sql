ALTER TABLE payments ALTER CONSTRAINT payments_account_fk ENFORCED;
