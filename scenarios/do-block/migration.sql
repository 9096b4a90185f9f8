DO $$ BEGIN
  ALTER TABLE payments ADD CONSTRAINT payments_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
