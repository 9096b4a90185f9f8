ALTER TABLE accounts ADD CONSTRAINT accounts_n_positive CHECK (n > 0) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_n_positive;
